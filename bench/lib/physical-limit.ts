// The "physical limit" of an initial sync: read every number doc once via _changes, compute
// every account doc in memory, write each once via _bulk_docs. No index, no queue, no re-reads.
import pMap from 'p-map';
import { accountDbName, buildAccountDoc, expectedAccountDocs, gregorianSeconds } from '../../src/rules/index.js';
import type { World } from './world.js';

/** Written beside phone_numbers so the daemon still finds no account doc and does its full job. */
export const LIMIT_DOC_ID = 'bench_limit_phone_numbers';

export interface LimitResult {
  ms: number;
  readMs: number;
  docsRead: number;
  accountDocsWritten: number;
}

export async function physicalLimit(world: World, dbs: readonly string[], opts: { concurrency: number; batchSize: number }): Promise<LimitResult> {
  const start = performance.now();
  const docs: Array<{ dbName: string; doc: unknown }> = [];
  await pMap(
    dbs,
    async (db) => {
      let since: unknown = 0;
      for (;;) {
        const page = await world.couch.changes(db, { since, limit: opts.batchSize, includeDocs: true });
        for (const row of page.results) docs.push({ dbName: db, doc: row.deleted ? { _id: row.id, _deleted: true } : row.doc });
        since = page.last_seq;
        if (page.results.length < opts.batchSize) break;
      }
    },
    { concurrency: opts.concurrency },
  );
  const readMs = performance.now() - start;
  const truth = expectedAccountDocs(docs);
  const now = gregorianSeconds(Date.now());
  await pMap(
    truth,
    async ([accountId, entries]) => {
      const { doc } = buildAccountDoc({ accountId, entries, now });
      const results = await world.couch.request<Array<{ error?: string }>>({
        method: 'post',
        db: accountDbName(accountId),
        path: '_bulk_docs',
        body: { docs: [{ ...doc, _id: LIMIT_DOC_ID }] },
      });
      if (results[0]?.error) throw new Error(`limit write ${accountId}: ${results[0].error}`);
    },
    { concurrency: opts.concurrency },
  );
  return { ms: performance.now() - start, readMs, docsRead: docs.length, accountDocsWritten: truth.size };
}
