import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, type CouchHandle } from '../harness/servers.js';
import { freshAccountId, freshPrefixes } from '../harness/ids.js';
import type { CouchFixture } from '../harness/numbers.js';
import { readTruth } from '../../src/audit/read-truth.js';
import { expectedAccountDocs } from '../../src/rules/index.js';

// Ids of its own: on a shared server (COUCHDB_URL) the truth also holds every other test's numbers.
const A = freshAccountId();
const B = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const DB = `numbers/${P}`;

// The audit reads whole databases: it must hold one bounded page at a time, and treat docs
// above the size limit as the listener does (listed nowhere).
describe('readTruth bounded in bytes', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  const written: Array<{ dbName: string; doc: Record<string, unknown> }> = [];

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ numbersDbs: [DB] }));
    for (let i = 0; i < 40; i++) {
      // Every 8th doc is 300 KB (pages of 1 MiB are cut by bytes), two are 2 MB (quarantined).
      const pad = i % 8 === 3 ? { pad: 'p'.repeat(300_000) } : i === 10 || i === 30 ? { pad: 'q'.repeat(2_000_000) } : {};
      const doc = { _id: `${P}555${String(i).padStart(4, '0')}`, pvt_state: 'in_service', pvt_assigned_to: i % 2 ? A : B, pvt_reserve_history: [A], ...pad };
      await fx.putNumber(doc);
      if (i !== 10 && i !== 30) written.push({ dbName: DB, doc });
    }
  });

  afterAll(async () => {
    await couch?.stop();
  });

  it('equals the truth of the docs under the limit, whatever the page size', async () => {
    const want = expectedAccountDocs(written);
    for (const pageSize of [1, 7, 2000]) {
      const got = await readTruth(fx.couch, { pageSize, maxDocBytes: 1024 * 1024, maxPageBytes: 1024 * 1024 });
      const ours = new Map([...got].filter(([account]) => account === A || account === B));
      expect(ours, `pageSize ${pageSize}`).toEqual(want);
    }
    expect(want.get(A)?.size).toBe(38);
  });
});
