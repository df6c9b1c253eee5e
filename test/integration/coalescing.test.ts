import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { CouchFixture, revGeneration } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import type { Daemon } from '../../src/daemon.js';

const [P] = freshPrefixes(1) as [string];

describe('coalescing and concurrent rebuilds', () => {
  // Each test its own account and numbers: on a shared server the other test's are still there.
  let A: string;
  let numbers: string[];
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;

  beforeEach(async () => {
    A = freshAccountId();
    numbers = freshNumbers(P, 50);
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await couch.stop();
  });

  it('500 rapid changes to one account cause far fewer than 500 writes, and the final doc is correct', async () => {
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('burst'), { concurrency: 2 }));
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 500; i++) {
      const number = numbers[i % numbers.length]!;
      writes.push(fx.putNumber({ _id: number, pvt_state: 'in_service', pvt_assigned_to: A, pvt_used_by: `v${i}`, pvt_modified: i }));
      if (writes.length >= 10) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await waitFor(async () => (await fx.drift([A])).length === 0, { what: 'zero drift', timeoutMs: 30_000 });
    const doc = await fx.accountDoc(A);
    expect(Object.keys(doc ?? {}).filter((k) => k.startsWith('+'))).toHaveLength(numbers.length);
    // Each write of the doc bumps its revision generation by one.
    const generation = revGeneration(doc?._rev);
    expect(generation).toBeGreaterThan(0);
    expect(generation).toBeLessThan(100);
  });

  it('a change made while the account rebuild is running is reflected afterwards', async () => {
    let slow = true;
    let reachedWrite!: () => void;
    const writing = new Promise<void>((resolve) => (reachedWrite = resolve));
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('slow')), {
      hooks: {
        beforeWrite: async () => {
          if (!slow) return;
          slow = false;
          reachedWrite();
          await sleep(1500);
        },
      },
    });
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    await fx.putNumber({ _id: numbers[0]!, pvt_state: 'in_service', pvt_assigned_to: A });
    await writing; // the first rebuild is now active and stalled before its write
    await fx.putNumber({ _id: numbers[1]!, pvt_state: 'reserved', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'both numbers listed', timeoutMs: 20_000 });
    expect(await fx.listed(A)).toEqual([numbers[0], numbers[1]]);
    expect(await fx.drift([A])).toEqual([]);
  });
});
