import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { type CouchFixture, revGeneration } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import type { Daemon } from '../../src/daemon.js';
import { CoalesceWindow } from '../../src/queue/coalesce-window.js';

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

  it('an isolated change is rebuilt at once; a change within the window of the last request waits the window', async () => {
    // A window far longer than the waits below: a rebuild that waited it could not be seen in time.
    const windowMs = 60_000;
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('adaptive'), { coalesceMs: windowMs }));
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    const jobsOf = async (states: Array<'delayed' | 'completed' | 'waiting' | 'active'>) =>
      (await daemon!.queue.queue.getJobs(states)).filter((job) => job?.data.accountId === A);
    // The start-up reconcile requested A (it rebuilds every account database it finds): let
    // that request's window pass, as it would after windowMs.
    await waitFor(async () => (await jobsOf(['completed'])).length === 1, { what: 'the start-up rebuild of A' });
    await daemon.redis.del(new CoalesceWindow(daemon.redis, daemon.index.keys.prefix, windowMs).key(A));

    await fx.putNumber({ _id: numbers[0]!, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the isolated change listed', timeoutMs: 20_000 });
    const first = await waitFor(async () => ((await jobsOf(['completed'])).length === 2 ? jobsOf(['completed']) : undefined), {
      what: 'its rebuild completed',
    });
    expect(first!.map((job) => job.opts.delay ?? 0)).toEqual([0, 0]);

    // Requested again within the window: this rebuild waits it (and so coalesces what follows).
    await fx.putNumber({ _id: numbers[1]!, pvt_state: 'in_service', pvt_assigned_to: A });
    const delayed = await waitFor(async () => (await jobsOf(['delayed']))[0], { what: 'a delayed rebuild job', timeoutMs: 20_000 });
    expect(delayed!.opts.delay).toBe(windowMs);
    expect(await fx.listed(A)).toEqual([numbers[0]]);
    // Promoted, it runs and lists the second number: the change was not lost, only held.
    await delayed!.promote();
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'the second change listed', timeoutMs: 20_000 });
    expect(await fx.drift([A])).toEqual([]);
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
