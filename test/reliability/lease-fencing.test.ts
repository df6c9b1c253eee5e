import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { LogCapture } from '../harness/log-capture.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { waitFor } from '../harness/wait.js';
import { NumberIndex } from '../../src/index/number-index.js';
import type { Daemon } from '../../src/daemon.js';

const X = 'fe0ce000fe0ce000fe0ce000fe0ce001';
const Y = 'fe0ce000fe0ce000fe0ce000fe0ce002';
const Z = 'fe0ce000fe0ce000fe0ce000fe0ce003';
const N = '+14155557700';
const DB = 'numbers/+1415';

/** Blocks this whole process (event loop included), like a long GC pause or a frozen VM. */
function stallUntil(check: () => boolean, maxMs: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + maxMs;
  while (!check() && Date.now() < deadline) Atomics.wait(pause, 0, 0, 100);
}

/** Synchronous redis-cli call: the only way to look at Redis while the event loop is stalled. */
function redisCli(url: string, ...args: string[]): string {
  return execFileSync('redis-cli', ['-u', url, '--raw', ...args], { encoding: 'utf8' }).trim();
}

describe('lease fencing', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;
  const children: ChildDaemon[] = [];
  const admin = new Redis(redisUrl());

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [X, Y, Z], numbersDbs: [DB] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    for (const child of children) await child.kill();
    admin.disconnect();
    await couch.stop();
  });

  it("refuses a stalled former holder's commit after a standby took over", async () => {
    const prefix = uniquePrefix('fence');
    const index = new NumberIndex(admin, prefix);
    let armed = false;
    let takeover: { ckpt: string } | undefined;
    const beforeCommit = async (db: string) => {
      if (!armed || db !== DB) return;
      armed = false;
      // This page holds N -> Y. A newer version (N -> Z) is written, then this process stalls
      // past the lease TTL until the standby has taken over and indexed N -> Z.
      await fx.putNumber({ _id: N, pvt_state: 'in_service', pvt_assigned_to: Z });
      const numKey = index.keys.number(N);
      stallUntil(() => redisCli(redisUrl(), 'GET', numKey).includes(Z), 60_000);
      takeover = { ckpt: redisCli(redisUrl(), 'HGET', index.keys.checkpoints, DB) };
    };
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { leaseTtlMs: 2000 }), { hooks: { beforeCommit } });
    await fx.putNumber({ _id: N, pvt_state: 'in_service', pvt_assigned_to: X });
    await waitFor(async () => (await fx.listed(X)).includes(N), { what: 'X lists N' });

    const standby = new ChildDaemon(['run'], { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: prefix, NUMBERS_SYNC_LEASE_TTL_MS: '2000' });
    children.push(standby);
    await standby.waitForLog((r) => r.msg === 'another listener holds the lease; standing by', 'standby waits');

    armed = true;
    await fx.putNumber({ _id: N, pvt_state: 'in_service', pvt_assigned_to: Y });
    await waitFor(() => takeover !== undefined, { what: 'the stall and take-over', timeoutMs: 90_000 });
    await waitFor(() => daemon!.listener!.status().leader === false, { what: 'the stalled listener to step down' });

    expect((await index.lookup(N))?.accounts, 'owner of N in the index').toEqual([Z]);
    expect(await admin.hget(index.keys.checkpoints, DB), 'checkpoint').toBe(takeover!.ckpt);
    await waitFor(async () => (await fx.drift([X, Y, Z])).length === 0, { what: 'zero drift' });
    expect(await fx.listed(Z)).toEqual([N]);
  }, 120_000);

  it('ends the session when a lease renewal hangs', async () => {
    const proxy = new TcpProxy(redisUrl());
    await proxy.start();
    const log = new LogCapture();
    const d = startTestDaemon(testSettings(couch.url, `redis://127.0.0.1:${proxy.port}`, uniquePrefix('hung'), { leaseTtlMs: 2000, shutdownTimeoutMs: 1000 }), {
      logger: log.logger,
    });
    try {
      await waitFor(() => d.listener!.status().leader, { what: 'lease held' });
      const mark = log.mark();
      proxy.freeze();
      const ended = await log.waitForLog((r) => r.msg === 'follow session ended; starting a new one', 'the session to end', { from: mark });
      expect(ended.reason).toBe('lease_lost');
    } finally {
      await d.stop();
      await proxy.stop();
    }
  }, 60_000);
});
