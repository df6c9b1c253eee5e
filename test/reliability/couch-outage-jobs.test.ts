import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { CouchFixture } from '../harness/numbers.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';
import { startEmbeddedCouch, type EmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { REBUILD_JOB_NAME } from '../../src/queue/rebuild-queue.js';
import type { Daemon } from '../../src/daemon.js';

const ACCOUNTS = Array.from({ length: 6 }, (_, i) => `0a0a00000000000000000000000000${String(10 + i)}`);
// Tiny on purpose: today's code exhausts them within half a second of CouchDB going away.
const ATTEMPTS = 2;
const BACKOFF_MS = 100;

/** Assigns `count` numbers of +1415 round-robin to the accounts, shifted by `shift`. */
async function assignAll(fx: CouchFixture, count: number, shift: number): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const number = `+1415777${String(1000 + i)}`;
    const owner = ACCOUNTS[(i + shift) % ACCOUNTS.length]!;
    owners.set(number, owner);
    await fx.putNumber({ _id: number, pvt_state: 'in_service', pvt_assigned_to: owner });
  }
  return owners;
}

async function queueIdle(daemon: Daemon): Promise<boolean> {
  const c = await daemon.queue.counts();
  return (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0;
}

describe('rebuild jobs during a CouchDB outage (server stopped, same port, on-disk data)', () => {
  let couch: DiskCouch;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    couch = await DiskCouch.start('couch-outage-jobs');
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.close();
  });

  it('do not use up their attempts, and every account doc is right once CouchDB is back, without a restart', async () => {
    const fx = new CouchFixture(couch.url);
    for (const account of ACCOUNTS) await fx.createAccountDb(account);
    await fx.createDb('numbers/+1415');
    await assignAll(fx, 24, 0);
    // Jobs wait 3 s before they run: the changes below are indexed and queued, then CouchDB goes.
    daemon = startTestDaemon(
      testSettings(couch.url, redisUrl(), uniquePrefix('outage-jobs'), {
        jobAttempts: ATTEMPTS,
        jobBackoffMs: BACKOFF_MS,
        coalesceMs: 3000,
        requestTimeoutMs: 2000,
        failedRetryIntervalMs: 1000,
      }),
    );
    await waitFor(async () => (await daemon!.index.isReady()) && (await fx.drift(ACCOUNTS)).length === 0, { what: 'start-up done', timeoutMs: 60_000 });
    await waitFor(() => queueIdle(daemon!), { what: 'queue idle' });

    // Every number moves to another account; once all moves are indexed, CouchDB stops.
    const owners = await assignAll(fx, 24, 1);
    await waitFor(
      async () => {
        for (const [number, owner] of owners) if ((await daemon!.index.lookup(number))?.accounts[0] !== owner) return false;
        return true;
      },
      { what: 'the moves indexed', intervalMs: 20 },
    );
    const port = couch.port;
    await couch.stopServer();
    // Down far longer than attempts x backoff, with more rebuilds requested meanwhile.
    await new Promise((r) => setTimeout(r, 4000));
    await daemon.queue.request(ACCOUNTS);
    await new Promise((r) => setTimeout(r, 4000));
    await couch.startServer(port);

    await waitFor(async () => (await fx.drift(ACCOUNTS)).length === 0, { what: 'every account doc right', timeoutMs: 30_000 });
    for (const [number, owner] of owners) expect(await fx.listed(owner)).toContain(number);
    await waitFor(() => queueIdle(daemon!), { what: 'queue idle' });
    expect((await daemon.queue.queue.getFailed()).map((j) => j.failedReason)).toEqual([]);
  }, 120_000);
});

describe('rebuild jobs that landed in the failed set', () => {
  let couch: EmbeddedCouch;
  let proxy: FaultProxy;
  let broken = false;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    couch = await startEmbeddedCouch({});
    // CouchDB itself answers (GET / works); only the account databases fail, like a poison job.
    proxy = await startFaultProxy(couch.url, (req) => broken && decodeURIComponent(req.url ?? '').startsWith('/account/'));
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await couch?.stop();
  });

  it('are retried once the cause is gone (requests merged into them included); a permanent failure stays', async () => {
    const fx = new CouchFixture(couch.url);
    for (const account of ACCOUNTS) await fx.createAccountDb(account);
    await fx.createDb('numbers/+1415');
    await assignAll(fx, 12, 0);
    daemon = startTestDaemon(
      testSettings(proxy.url, redisUrl(), uniquePrefix('failed-retry'), {
        jobAttempts: ATTEMPTS,
        jobBackoffMs: BACKOFF_MS,
        coalesceMs: 0,
        failedRetryIntervalMs: 1000,
      }),
    );
    await waitFor(async () => (await daemon!.index.isReady()) && (await fx.drift(ACCOUNTS)).length === 0, { what: 'start-up done', timeoutMs: 60_000 });
    await waitFor(() => queueIdle(daemon!), { what: 'queue idle' });

    broken = true;
    const owners = await assignAll(fx, 12, 1);
    await waitFor(async () => new Set((await daemon!.queue.queue.getFailed()).map((j) => j.data.accountId)).size === ACCOUNTS.length, {
      what: 'every account job failed',
      timeoutMs: 30_000,
    });
    // A permanent failure: no such account can exist.
    await daemon.queue.queue.add(REBUILD_JOB_NAME, { accountId: 'not-an-account' });
    await waitFor(async () => (await daemon!.queue.queue.getFailed()).some((j) => j.data.accountId === 'not-an-account'), { what: 'the invalid job failed' });
    broken = false;

    await waitFor(async () => (await fx.drift(ACCOUNTS)).length === 0, { what: 'every account doc right', timeoutMs: 30_000 });
    for (const [number, owner] of owners) expect(await fx.listed(owner)).toContain(number);
    await waitFor(async () => (await daemon!.queue.queue.getFailed()).length === 1, { what: 'only the permanent failure left' });
    expect((await daemon.queue.queue.getFailed()).map((j) => j.data.accountId)).toEqual(['not-an-account']);
  }, 120_000);
});
