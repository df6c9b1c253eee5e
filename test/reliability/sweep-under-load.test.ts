import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouch, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';
import { sweeps } from './sweep-count.js';
import type { Daemon } from '../../src/daemon.js';

/**
 * Sweeps run back to back, paced, in small pages, while changes (moves, new numbers, releases,
 * deletions) keep arriving: a page of the full read must never overwrite a newer value, and a
 * number created during the read must not be taken for one CouchDB lacks.
 */
describe('anti-entropy sweep under load', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;
  let redis: Redis;
  const prefix = uniquePrefix('sweep-load');

  beforeAll(async () => {
    couch = await privateCouch();
    fx = new CouchFixture(couch.url);
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await daemon?.stop();
    redis?.disconnect();
    await couch?.stop();
  });

  it('ends converged with the index equal to CouchDB', async () => {
    const load = new NumberLoad({ couchUrl: couch.url, seed: 11, prefixes: ['+1415', '+1212'], numbersPerDb: 150, accounts: 12 });
    await load.setup();
    await load.step(400);
    // ~300 docs at 150 reads/s plus the account docs: each sweep reads for about 2 s, in pages of 20.
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { batchSize: 20, sweepIntervalMs: 1000, sweepMaxReadsPerS: 150, coalesceMs: 0 }));
    await waitForConvergence(fx, load, redisUrl(), prefix);
    const start = await sweeps(daemon);
    // Write through two full sweeps; each write must reach its account doc while sweeps run.
    while ((await sweeps(daemon)) < start + 2) {
      await load.step(10);
      const probe = load.random.pick(load.numbers);
      await load.step(1, [probe]);
      await waitForConvergence(fx, load, redisUrl(), prefix, { timeoutMs: 20_000 });
    }
    await waitForConvergence(fx, load, redisUrl(), prefix);
    // Index keys: exactly the numbers some account must list, also after a sweep of the quiet system.
    const expected = [...new Set([...load.expectedListing().values()].flat())].sort();
    const indexed = async () => (await redis.keys(`${prefix}:idx:num:*`)).map((k) => k.slice(`${prefix}:idx:num:`.length)).sort();
    expect(await indexed()).toEqual(expected);
    await waitFor(async () => (await sweeps(daemon)) >= start + 3, { what: 'one more sweep', timeoutMs: 30_000 });
    expect(await indexed()).toEqual(expected);
    expect(await fx.drift(load.accounts)).toEqual([]);
  }, 180_000);
});
