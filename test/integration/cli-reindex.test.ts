import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { runCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

const A = 'a2ee0000a2ee0000a2ee0000a2ee0000';
const B = 'b2ee0000b2ee0000b2ee0000b2ee0000';
const N = ['+14155550100', '+14155550101', '+14155550102'] as const;
const DB = 'numbers/+1415';

/**
 * `reindex`, `verify --fix` and `reconcile --all` repair a wrong Redis index: rebuilds read the
 * index, so without a reindex they rewrite the same wrong docs. The sweep is off here and no
 * numbers database changes, so only the command can repair it.
 */
describe('numbers-sync reindex, and verify --fix / reconcile repairing the index', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;
  let redis: Redis;
  let env: Record<string, string>;
  const prefix = uniquePrefix('cli-reindex');
  const start = () => startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { rescanIntervalMs: 600_000, coalesceMs: 0 }));

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: [DB] }));
    redis = new Redis(redisUrl());
    env = { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: prefix };
    await fx.putNumber({ _id: N[0], pvt_state: 'in_service', pvt_assigned_to: A });
    await fx.putNumber({ _id: N[1], pvt_state: 'in_service', pvt_assigned_to: A });
    await fx.putNumber({ _id: N[2], pvt_state: 'in_service', pvt_assigned_to: B });
    daemon = start();
    await waitFor(async () => (await fx.listed(A)).length === 2 && (await fx.listed(B)).length === 1, { what: 'initial sync' });
  });

  afterAll(async () => {
    await daemon?.stop();
    redis?.disconnect();
    await couch?.stop();
  });

  /** Moves N[0] from A to B in the index only, and makes the daemon publish that wrong state. */
  async function corruptAndPublish(): Promise<void> {
    const key = `${prefix}:idx:num:${N[0]}`;
    const value = JSON.parse((await redis.get(key))!) as { accounts: string[] };
    await redis
      .multi()
      .set(key, JSON.stringify({ ...value, accounts: [B] }))
      .srem(`${prefix}:idx:acct:${A}`, N[0])
      .sadd(`${prefix}:idx:acct:${B}`, N[0])
      .exec();
    const rebuilt = await runCli(['rebuild', A, B, '--wait'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(await fx.listed(B)).toContain(N[0]);
  }

  const correct = async () => (await fx.listed(A)).join() === [N[0], N[1]].join() && (await fx.listed(B)).join() === N[2];

  it('verify --fix re-indexes the databases of the drifted numbers', async () => {
    await corruptAndPublish();
    const fix = await runCli(['verify', '--fix'], env);
    expect(fix.code, fix.stderr).toBe(1);
    expect(fix.stdout).toContain(`--fix: re-indexed ${DB}  read 3 rows: repaired owner 1`);
    await waitFor(correct, { what: 'drift repaired', timeoutMs: 15_000 });
    expect((await runCli(['verify'], env)).code).toBe(0);
  }, 60_000);

  it('reconcile --all re-indexes every numbers database first', async () => {
    await corruptAndPublish();
    const { code, stdout, stderr } = await runCli(['reconcile', '--all', '--wait'], env);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain(`reconcile: re-indexed ${DB}  read 3 rows: repaired owner 1`);
    expect(stdout).toContain('reconcile: requested a rebuild of 2 accounts');
    expect(await correct()).toBe(true);
  }, 60_000);

  it('reindex --db goes through the running listener', async () => {
    await corruptAndPublish();
    const { code, stdout, stderr } = await runCli(['reindex', '--db', DB], env);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`${DB}  read 3 rows: repaired owner 1`);
    expect(stdout).toContain('reindex: 1 numbers database, 1 repaired, 0 failed');
    await waitFor(correct, { what: 'accounts rebuilt after the reindex', timeoutMs: 15_000 });
    const again = await runCli(['reindex', '--all'], env);
    expect(again.stdout).toContain(`${DB}  read 3 rows: index correct`);
  }, 60_000);

  it('reindex --all runs in the command itself when no listener runs', async () => {
    await corruptAndPublish();
    await daemon!.stop();
    daemon = undefined;
    const { code, stdout, stderr } = await runCli(['reindex', '--all'], env);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`${DB}  read 3 rows: repaired owner 1`);
    daemon = start(); // the rebuilds it requested wait in the queue for a worker
    await waitFor(correct, { what: 'accounts rebuilt after the reindex', timeoutMs: 15_000 });
  }, 60_000);

  it('reindex needs --db or --all, and only numbers/+NNNN names', async () => {
    expect((await runCli(['reindex'], env)).code).toBe(2);
    const bad = await runCli(['reindex', '--db', 'numbers/managed'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a numbers/+NNNN database: numbers/managed');
  });
});
