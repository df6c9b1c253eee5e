import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiskCouch } from '../harness/disk-couch.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { CouchFixture } from '../harness/numbers.js';
import type { Daemon } from '../../src/daemon.js';
import { waitForConvergence } from './converged.js';
import { droppedStableEntries } from './account-revisions.js';
import { runUntilMidBurst } from './mid-burst.js';

const SOAK = process.env.SOAK === '1';
const LEASE_TTL_MS = 1000;

describe('Redis restart with AOF', () => {
  let couch: DiskCouch;
  let redis: EmbeddedRedis;
  let daemon: Daemon | undefined;
  let fx: CouchFixture;

  beforeAll(async () => {
    couch = await DiskCouch.start('redis-aof');
    redis = await startEmbeddedRedis({ dataDir: couch.path('redis'), appendOnly: true });
    fx = new CouchFixture(couch.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    await redis?.stop();
    await couch?.close();
  });

  it('resumes from the persisted checkpoints (no replay from 0) and converges', async () => {
    const m = await runUntilMidBurst({ couchUrl: couch.url, redisUrl: redis.url, seed: 4404, label: 'aof', leaseTtlMs: LEASE_TTL_MS });
    const { load, log, prefix, touched, stable, burst } = m;
    daemon = m.daemon;
    // SIGKILL: what Redis acknowledged is already written to the AOF (fsync only matters to a power loss).
    const port = redis.port;
    await redis.kill();
    const mark = log.mark();
    await burst;
    await load.step(SOAK ? 1000 : 200, touched);
    // Away longer than the lease: the session ends and a new one must find the index.
    await sleep(2 * LEASE_TTL_MS);
    redis = await startEmbeddedRedis({ port, dataDir: couch.path('redis'), appendOnly: true });

    await log.waitForLog((r) => r.msg === 'follow session ended; starting a new one', 'the session to end', { from: mark });
    const resumed = await log.waitForLog((r) => r.msg === 'index found; resuming from checkpoints', 'a resume', { from: mark });
    expect(resumed).toMatchObject({ checkpoints: load.dbs.length, complete: true });
    await waitForConvergence(fx, load, redis.url, prefix, { timeoutMs: 60_000 });

    const records = log.records(mark);
    expect(records.filter((r) => String(r.msg).startsWith('no index in Redis'))).toEqual([]);
    expect(records.filter((r) => r.msg === 'index replay complete; reconciling every account')).toEqual([]);
    const resumeAt = records.findIndex((r) => r.msg === 'index found; resuming from checkpoints');
    for (const r of records.slice(resumeAt)) if (r.msg === 'changes page applied') expect(r.since, String(r.db)).not.toBe(0);
    expect(await daemon.metrics.indexResets.get()).toMatchObject({ values: [{ value: 1 }] });
    expect(await droppedStableEntries(fx, stable)).toEqual([]);
  }, 120_000);
});
