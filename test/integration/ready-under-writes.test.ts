import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

const A = '5eadc000eadc000eadc000eadc000a01';
const DBS = ['+1415', '+1416', '+1417', '+1418'];

/** The index becomes ready once every database present at start was drained to its end once, however busy. */
describe('index replay under a writer that never pauses', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: DBS.map((p) => `numbers/${p}`) }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch.stop();
  });

  it('becomes ready while the writes go on', async () => {
    let writing = true;
    let written = 0;
    const writers = DBS.map(async (p, w) => {
      for (let i = 0; writing; i++) {
        await fx.putNumber({ _id: `${p}5550${String(100 + (i % 20))}`, pvt_state: 'in_service', pvt_assigned_to: A, pvt_modified: i, writer: w });
        written++;
      }
    });
    try {
      await waitFor(() => written >= DBS.length * 20, { what: 'every number written once' });
      daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('busy'), { drainConcurrency: 2, batchSize: 5 }));
      await waitFor(() => daemon!.index.isReady(), { what: 'the index to become ready while writing', timeoutMs: 45_000 });
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    await waitFor(async () => (await fx.drift([A])).length === 0, { what: 'zero drift' });
    expect((await fx.listed(A)).length).toBe(DBS.length * 20);
  }, 90_000);
});
