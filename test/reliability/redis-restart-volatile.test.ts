import { describe, expect, it } from 'vitest';
import { redisFaultWorld } from '../harness/redis-fault-world.js';
import { waitForConvergence } from './converged.js';
import { droppedStableEntries } from './account-revisions.js';
import { runUntilMidBurst } from './mid-burst.js';

const SOAK = process.env.SOAK === '1';

describe('Redis restart without persistence: index, checkpoints and queue lost', () => {
  const world = redisFaultWorld('redis-volatile');

  it('notices the lost index, replays from since=0 with rebuilds held, reconciles every account, converges', async () => {
    const { couch, fx } = world;
    // Fault while a burst is being processed: the new changes are read, rebuilds are in flight.
    const m = await runUntilMidBurst({ couchUrl: couch.url, redisUrl: world.redis.url, seed: 3303, label: 'volatile', leaseTtlMs: 1000 });
    const { load, log, prefix, touched, stable, burst } = m;
    const daemon = m.daemon;
    world.daemon = daemon;
    await world.redis.kill();
    const mark = log.mark();
    await burst;
    // Changes while Redis is away, including moves and deletions only a reconcile can see.
    await load.step(SOAK ? 1000 : 200, touched);
    const redis = await world.restartRedis();

    const ended = await log.waitForLog((r) => r.msg === 'follow session ended; starting a new one', 'the session to end', { from: mark });
    expect(['index_lost', 'lease_lost']).toContain(ended.reason);
    await log.waitForLog((r) => String(r.msg).startsWith('no index in Redis'), 'a replay from since=0', { from: mark });
    const replayed = await log.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'the replay to complete', {
      from: mark,
      timeoutMs: 60_000,
    });
    expect(replayed.accountDbs).toBe(load.accounts.length);
    expect(await daemon.metrics.indexResets.get()).toMatchObject({ values: [{ value: 2 }] });

    await waitForConvergence(fx, load, redis.url, prefix, { timeoutMs: 60_000 });
    // The new session read every database from the start.
    const records = log.records(mark);
    const replayStart = records.findIndex((r) => String(r.msg).startsWith('no index in Redis'));
    const firstPages = new Map<string, unknown>();
    for (const r of records.slice(replayStart)) if (r.msg === 'changes page applied' && !firstPages.has(String(r.db))) firstPages.set(String(r.db), r.since);
    for (const db of load.dbs) expect(firstPages.get(db), db).toBe(0);
    expect(await droppedStableEntries(fx, stable)).toEqual([]);
  }, 120_000);
});
