import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouch, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { LogCapture } from '../harness/log-capture.js';
import { CouchFixture } from '../harness/numbers.js';
import { SentinelCluster, sentinelUnavailable } from '../harness/sentinel-cluster.js';
import { loadConfig } from '../../src/config/config.js';
import { configuredRedisTarget, type RedisTarget } from '../../src/redis/connection.js';
import { runVerifyChild } from '../../src/audit/verify-child.js';
import type { Daemon } from '../../src/daemon.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';

const SOAK = process.env.SOAK === '1';
const unavailable = sentinelUnavailable();
if (unavailable) console.warn(`skipping the Redis Sentinel failover test: ${unavailable}`);

/**
 * Redis behind Sentinel (1 primary, 2 replicas, 3 sentinels, quorum 2) on loopback. The
 * primary is SIGKILLed while the daemon applies a burst; the sentinels promote a replica and
 * the daemon (index, queue, workers, lease: every connection through REDIS_SENTINELS) must end
 * with zero drift. Replication is asynchronous, so the last acknowledged writes may be lost:
 * a lost tail rolls back a checkpoint together with its index changes (one script), and the
 * page is read again.
 */
describe.skipIf(Boolean(unavailable))('Redis Sentinel failover', () => {
  let couch: CouchHandle;
  let cluster: SentinelCluster;
  let daemon: Daemon | undefined;
  let load: NumberLoad | undefined;

  beforeAll(async () => {
    couch = await privateCouch();
    cluster = await SentinelCluster.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await load?.teardown();
    await cluster?.stop();
    await couch?.stop();
  });

  it('a SIGKILL of the primary during a seeded load ends with zero drift', async () => {
    // The daemon's Redis settings go through the config like an operator's environment.
    const target = configuredRedisTarget(loadConfig(cluster.env())) as RedisTarget;
    expect(target.redisSentinel).toMatchObject({ name: cluster.name });
    expect(target.redisUrl).not.toContain(cluster.password);

    load = new NumberLoad({ couchUrl: couch.url, seed: 7107, prefixes: ['+1415', '+1212', '+4420'], numbersPerDb: SOAK ? 500 : 80, accounts: 15 });
    await load.setup();
    const fx = new CouchFixture(couch.url);
    const log = new LogCapture();
    const prefix = uniquePrefix('sentinel');
    daemon = startTestDaemon(testSettings(couch.url, target.redisUrl, prefix, { ...target, batchSize: 50, leaseTtlMs: 1000 }), { logger: log.logger });
    await load.step(SOAK ? 5000 : 800);
    await waitForConvergence(fx, load, await cluster.primaryUrl(), prefix);

    const burst = load.step(SOAK ? 2000 : 300);
    await log.waitForLog((r) => r.msg === 'changes page applied', 'the burst being applied', { from: log.mark() });
    const killedAt = log.mark();
    const oldPort = await cluster.killPrimary();
    await burst;
    await load.step(SOAK ? 1000 : 200);
    const newPort = await cluster.waitForFailover(oldPort);
    expect(newPort).not.toBe(oldPort);
    await load.step(SOAK ? 1000 : 200);

    await waitForConvergence(fx, load, await cluster.primaryUrl(), prefix, { timeoutMs: 120_000, context: () => cluster.logs() });
    // The daemon really lived through it: the lease (TTL 1 s, shorter than the failover) was lost and taken again.
    expect(log.records(killedAt).some((r) => r.msg === 'listener lease acquired; following numbers databases')).toBe(true);
    if (process.env.SENTINEL_DEBUG) for (const r of log.records(killedAt)) console.log(JSON.stringify(r).slice(0, 300));

    // The scheduled audit's child process reaches the new primary through the sentinels too.
    const audit = await runVerifyChild({ couchUrl: couch.url, ...target, prefix });
    expect(audit.drifted).toEqual([]);
    expect(audit.checked).toBeGreaterThan(0);
  }, 240_000);
});

/**
 * The same failover, with the last acknowledged writes lost for certain: the replicas stop
 * applying the replication stream just before the kill, so the promoted one lacks the pages
 * the listener committed last (and their checkpoints). The lease TTL is the production default,
 * longer than the failover, so the listener's lease survives on the new primary.
 */
describe.skipIf(Boolean(unavailable))('Redis Sentinel failover that loses the last acknowledged writes', () => {
  let couch: CouchHandle;
  let cluster: SentinelCluster;
  let daemon: Daemon | undefined;
  let load: NumberLoad | undefined;

  beforeAll(async () => {
    couch = await privateCouch();
    cluster = await SentinelCluster.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await load?.teardown();
    await cluster?.stop();
    await couch?.stop();
  });

  it('ends with zero drift', async () => {
    const target = configuredRedisTarget(loadConfig(cluster.env())) as RedisTarget;
    load = new NumberLoad({ couchUrl: couch.url, seed: 7108, prefixes: ['+1415', '+1212', '+4420'], numbersPerDb: 80, accounts: 15 });
    await load.setup();
    const fx = new CouchFixture(couch.url);
    const log = new LogCapture();
    const prefix = uniquePrefix('sentinel-tail');
    daemon = startTestDaemon(testSettings(couch.url, target.redisUrl, prefix, { ...target, batchSize: 20, leaseTtlMs: 10_000 }), { logger: log.logger });
    await load.step(800);
    await waitForConvergence(fx, load, await cluster.primaryUrl(), prefix);

    await cluster.pauseReplicas(1000);
    const pausedAt = log.mark();
    const burst = load.step(600);
    // Pages (and account docs) the new primary will not have.
    await log.waitForLog((r) => r.msg === 'changes page applied', 'the burst being applied', { from: pausedAt });
    await log.waitForLog((r) => r.msg === 'account doc written', 'a rebuild from the lost pages', { from: pausedAt });
    const killedAt = log.mark();
    const oldPort = await cluster.killPrimary();
    await burst;
    await cluster.waitForFailover(oldPort);
    await load.step(300);

    const sessions = () => log.records(killedAt).filter((r) => r.msg === 'listener lease acquired; following numbers databases').length;
    await waitForConvergence(fx, load, await cluster.primaryUrl(), prefix, { timeoutMs: 60_000, context: () => `new lease sessions after the kill: ${sessions()}` });
    if (process.env.SENTINEL_DEBUG) console.log(cluster.logs().split('\n').filter((l) => /switch-master|failover-abort|promoted|elected-leader|try-failover/.test(l)).join('\n'));
    if (process.env.SENTINEL_DEBUG) for (const r of log.records(pausedAt)) if (!['account doc written'].includes(String(r.msg))) console.log(JSON.stringify(r).slice(0, 400));
  }, 240_000);
});
