// Writes a data set before the daemon starts: databases, then number docs with _bulk_docs.
import pMap from 'p-map';
import { accountDbName } from '../../src/rules/index.js';
import type { Dataset, NumberDoc } from './dataset.js';
import type { World } from './world.js';

const CHUNK = 1000;

interface BulkResult {
  id: string;
  rev?: string;
  error?: string;
  reason?: string;
}

/** Writes docs to one database in chunks; returns id -> new rev. Any per-doc error throws. */
export async function bulkWrite(world: World, db: string, docs: readonly NumberDoc[]): Promise<Map<string, string>> {
  const revs = new Map<string, string>();
  for (let i = 0; i < docs.length; i += CHUNK) {
    const results = await world.couch.request<BulkResult[]>({ method: 'post', db, path: '_bulk_docs', body: { docs: docs.slice(i, i + CHUNK) } });
    for (const r of results) {
      if (!r.rev) throw new Error(`_bulk_docs ${db}/${r.id}: ${r.error} ${r.reason ?? ''}`);
      revs.set(r.id, r.rev);
    }
  }
  return revs;
}

/** Creates every account and numbers database and writes every number doc; returns number -> rev. */
export async function seedDataset(world: World, dataset: Dataset, concurrency: number): Promise<Map<string, string>> {
  await world.createDbs(dataset.accounts.map(accountDbName), concurrency);
  await world.createDbs(dataset.dbs, concurrency);
  const revs = new Map<string, string>();
  await pMap(
    dataset.dbs,
    async (db) => {
      for (const [id, rev] of await bulkWrite(world, db, dataset.docsByDb.get(db)!)) revs.set(id, rev);
    },
    { concurrency: Math.min(concurrency, 4) },
  );
  return revs;
}
