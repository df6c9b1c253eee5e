import { describe, expect, it } from 'vitest';
import { redisFaultWorld } from '../harness/redis-fault-world.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForConvergence } from './converged.js';
import { droppedStableEntries } from './account-revisions.js';
import { runUntilMidBurst } from './mid-burst.js';

const SOAK = process.env.SOAK === '1';
const LEASE_TTL_MS = 1000;

describe('Redis restart with AOF', () => {
  const world = redisFaultWorld('redis-aof', (couch) => ({ dataDir: couch.path('redis'), appendOnly: true }));

  it('resumes from the persisted checkpoints (no replay from 0) and converges', async () => {
    const { couch, fx } = world;
    const m = await runUntilMidBurst({ couchUrl: couch.url, redisUrl: world.redis.url, seed: 4404, label: 'aof', leaseTtlMs: LEASE_TTL_MS });
    const { load, log, prefix, touched, stable, burst } = m;
    const daemon = m.daemon;
    world.daemon = daemon;
    // SIGKILL: what Redis acknowledged is already written to the AOF (fsync only matters to a power loss).
    await world.redis.kill();
    const mark = log.mark();
    await burst;
    await load.step(SOAK ? 1000 : 200, touched);
    // Away longer than the lease: the session ends and a new one must find the index.
    await sleep(2 * LEASE_TTL_MS);
    const redis = await world.restartRedis();

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
