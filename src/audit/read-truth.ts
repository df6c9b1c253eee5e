import { expectedAccountDocs, isFollowedNumbersDb, type EntryData } from '../spec/index.js';
import type { CouchClient } from '../couch/couch-client.js';

interface AllDocsPage {
  rows: Array<{ id: string; doc?: Record<string, unknown> }>;
}

/**
 * The truth computed straight from the numbers databases (never from the Redis index):
 * account id -> number -> entry data. Reads every followed database in pages.
 */
export async function readTruth(couch: CouchClient, opts: { pageSize?: number; signal?: AbortSignal } = {}): Promise<Map<string, Map<string, EntryData>>> {
  const pageSize = opts.pageSize ?? 2000;
  const dbs = (await couch.listDbs('numbers/', 'numbers/\ufff0', opts.signal)).filter(isFollowedNumbersDb);
  const docs: Array<{ dbName: string; doc: unknown }> = [];
  for (const db of dbs) {
    let startkey: string | undefined;
    for (;;) {
      const qs: Record<string, unknown> = { include_docs: true, limit: pageSize + 1 };
      if (startkey !== undefined) qs.startkey = startkey;
      const page = await couch.request<AllDocsPage>({ db, path: '_all_docs', qs, signal: opts.signal });
      const rows = page.rows.slice(0, pageSize);
      for (const row of rows) if (row.doc) docs.push({ dbName: db, doc: row.doc });
      if (page.rows.length <= pageSize) break;
      startkey = page.rows[pageSize]!.id;
    }
  }
  return expectedAccountDocs(docs);
}
