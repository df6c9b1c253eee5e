import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

// Own accounts, numbers and numbers database per describe: on a shared server nothing else may list them.
const [P] = freshPrefixes(1) as [string];

describe('stalled connections to CouchDB', () => {
  const A = freshAccountId();
  const [N0, N1, N2] = freshNumbers(P, 3) as [string, string, string];
  let couch: CouchHandle;
  let proxy: TcpProxy;
  let daemon: Daemon;
  let fx: CouchFixture;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
    proxy = new TcpProxy(couch.url);
    const proxyUrl = await proxy.start();
    daemon = startTestDaemon(
      testSettings(proxyUrl, redisUrl(), uniquePrefix('stall'), { requestTimeoutMs: 1500, feedTimeoutMs: 1000, rescanIntervalMs: 60_000 }),
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.stop();
    await couch?.stop();
  });

  it('aborts stalled requests and resumes once the network is back', async () => {
    await fx.putNumber({ _id: N0, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'first number listed' });

    proxy.freeze();
    // Written while every connection of the daemon hangs (the fixture talks to CouchDB directly).
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A });
    await sleep(3000);
    proxy.thaw();
    await fx.putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: A });

    await waitFor(async () => (await fx.listed(A)).length === 3, { what: 'all numbers listed after the partition', timeoutMs: 30_000 });
    expect(await fx.drift([A])).toEqual([]);
    const errors = await daemon.metrics.feedErrors.get();
    // The kinds counted, so a failure says what happened instead of "expected false to be true".
    expect(errors.values.filter((v) => v.value > 0).map((v) => v.labels.kind)).toContain('timeout');
  });
});

describe('a quiet _db_updates feed', () => {
  const A = freshAccountId();
  let couch: CouchHandle;
  let daemon: Daemon;
  let fx: CouchFixture;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  it('is not mistaken for a stalled one while a longpoll waits out its timeout', async () => {
    // A longpoll longer than the watchdog's 10 s check: the first check comes before any poll completes.
    // Nothing is written from the start, so not one poll completes before that check.
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('quiet'), { feedTimeoutMs: 12_000, rescanIntervalMs: 60_000 }));
    await sleep(11_000);
    const errors = await daemon.metrics.feedErrors.get();
    expect(errors.values.filter((v) => v.labels.kind === 'stalled' && v.value > 0)).toEqual([]);
    // Still following: a write shows up long before the next rescan.
    await fx.putNumber({ _id: freshNumbers(P, 1)[0]!, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'number listed via _db_updates', timeoutMs: 5000 });
  }, 40_000);
});
