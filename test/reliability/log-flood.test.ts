import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { LogCapture } from '../harness/log-capture.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

// Ids of its own, so the listing it asserts holds on a shared server too.
const A = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const [N, LATER] = freshNumbers(P, 2) as [string, string];

// Issue 15 item 10: one 204 KB doc with 1,000 invalid reserve-history ids wrote 1,000 warning
// lines (340 KB) per revision. Now: one line per doc revision, with counts and a bounded sample.
describe('log flooding by one hostile doc', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  it('logs one line per revision with counts, counts each reason once per doc, and still lists the number', async () => {
    const log = new LogCapture({ level: 'info' });
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('flood')), { logger: log.logger });
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });

    const junk = Array.from({ length: 1000 }, (_, i) => `not-an-account-id-${String(i).padStart(4, '0')}-${'z'.repeat(180)}`);
    const doc = { _id: N, pvt_state: 'in_service', pvt_assigned_to: A, pvt_reserve_history: junk, pvt_features: [1, 2, 'cnam'] };
    expect(JSON.stringify(doc).length).toBeGreaterThan(200_000);
    for (let revision = 1; revision <= 2; revision++) {
      await fx.putNumber({ ...doc, pvt_modified: revision });
      // A later doc in the same database: once it is listed, the hostile revision was reported.
      await fx.putNumber({ _id: LATER, pvt_state: 'in_service', pvt_assigned_to: A, pvt_modified: revision });
      await waitFor(async () => (await fx.accountDoc(A))?.[LATER] && ((await fx.accountDoc(A))![LATER] as { updated: number }).updated === revision, {
        what: `revision ${revision} applied`,
      });
    }

    const lines = log.lines.filter((line) => line.includes(N));
    const about = log.records().filter((r) => r.id === N);
    expect(about, lines.slice(0, 3).join('\n').slice(0, 2000)).toHaveLength(2);
    for (const r of about) {
      expect(r.msg).toBe('number doc sanitised');
      expect(r.reasons).toEqual({ bad_history_id: 1000, bad_feature: 2 });
      expect((r.samples as string[]).length).toBeLessThanOrEqual(6);
    }
    // Bounded output: two lines, not two thousand.
    expect(lines.join('\n').length).toBeLessThan(10_000);
    const counted = new Map((await daemon.metrics.invalidDocs.get()).values.map((v) => [String(v.labels.reason), v.value]));
    expect(Object.fromEntries(counted)).toEqual({ bad_history_id: 2, bad_feature: 2 });
    expect(await fx.listed(A)).toEqual([N, LATER]);
  }, 60_000);
});
