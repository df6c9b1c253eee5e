import { expectedAccountDocs, isFollowedNumbersDb, type EntryData } from '../rules/index.js';
import type { CouchClient } from '../couch/couch-client.js';
import { DEFAULT_MAX_DOC_BYTES } from '../listener/db-drainer.js';

interface AllDocsPage {
  rows: Array<{ id: string }>;
}

export interface ReadTruthOptions {
  pageSize?: number;
  /** Docs above this many bytes count as quarantined, as the listener treats them (default 1 MiB). */
  maxDocBytes?: number;
  /** Bytes of one page of _all_docs held at once (default 16 MiB, at least maxDocBytes). */
  maxPageBytes?: number;
  signal?: AbortSignal;
}

type Truth = Map<string, Map<string, EntryData>>;

/**
 * The truth computed straight from the numbers databases (never from the Redis index):
 * account id -> number -> entry data. Reads every followed database in pages streamed and
 * bounded in bytes, keeping only what each doc contributes; a doc above maxDocBytes is listed
 * nowhere, exactly as the listener quarantines it.
 */
export async function readTruth(couch: CouchClient, opts: ReadTruthOptions = {}): Promise<Truth> {
  const pageSize = opts.pageSize ?? 2000;
  const maxDocBytes = opts.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES;
  const bounds = { maxRowBytes: maxDocBytes, maxBytes: Math.max(maxDocBytes, opts.maxPageBytes ?? 16 * 1024 * 1024), signal: opts.signal };
  const dbs = (await couch.listDbs('numbers/', 'numbers/\ufff0', opts.signal)).filter(isFollowedNumbersDb);
  const truth: Truth = new Map();
  for (const db of dbs) {
    // Id of the last row read: the next page starts after it.
    let after: string | undefined;
    const from = () => (after === undefined ? {} : { startkey: after, skip: 1 });
    for (;;) {
      const docs: Array<{ dbName: string; doc: unknown }> = [];
      const read = await couch.rowsBounded(db, '_all_docs', { include_docs: true, limit: pageSize, ...from() }, 'rows', bounds, (row) => {
        after = String(row.id);
        if (row.doc) docs.push({ dbName: db, doc: row.doc });
      });
      merge(truth, expectedAccountDocs(docs));
      if (read.cut === 'oversize' || (read.cut === 'bytes' && read.rows === 0)) {
        const next = (await couch.request<AllDocsPage>({ db, path: '_all_docs', qs: { limit: 1, ...from() }, signal: opts.signal })).rows[0];
        if (!next) break;
        after = next.id;
        const doc = await couch.getDocBounded(db, next.id, maxDocBytes, opts.signal);
        if (doc && doc !== 'too_large') merge(truth, expectedAccountDocs([{ dbName: db, doc }]));
        continue;
      }
      if (read.cut === 'bytes') continue;
      if (read.rows < pageSize) break;
    }
  }
  return truth;
}

/** Each number lives in one database only, so pages merge without conflicts. */
function merge(into: Truth, page: Truth): void {
  for (const [account, numbers] of page) {
    const existing = into.get(account);
    if (!existing) into.set(account, numbers);
    else for (const [number, data] of numbers) existing.set(number, data);
  }
}
