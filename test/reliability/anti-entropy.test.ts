import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { sweeps } from './sweep-count.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const A = 'aaaa0000aaaa0000aaaa0000aaaa0000';
const B = 'bbbb0000bbbb0000bbbb0000bbbb0000';
const C = 'cccc0000cccc0000cccc0000cccc0000';
const D = 'dddd0000dddd0000dddd0000dddd0000';
const accounts = [A, B, C, D];
const sf = (i: number) => `+1415555${String(1000 + i)}`;
const ny = (i: number) => `+1212555${String(1000 + i)}`;
const SWEEP_MS = 3000;

/** Every index key of a prefix, normalised (sets sorted), so two states compare as plain objects. */
async function indexState(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = { ckpt: await redis.hgetall(`${prefix}:ckpt`) };
  for (const key of (await redis.keys(`${prefix}:idx:*`)).sort()) {
    const type = await redis.type(key);
    state[key] = type === 'set' ? (await redis.smembers(key)).sort() : await redis.get(key);
  }
  return state;
}

async function repairs(daemon: Daemon): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await daemon.metrics.repairs.get()).values) out[String(v.labels.kind)] = v.value;
  return out;
}

/**
 * The "Done when" for anti-entropy: with the index corrupted directly in Redis and
 * account docs edited behind the daemon's back, and no other trigger (no change to any numbers
 * database, no rescan), one sweep period later the index and every account doc are right again.
 */
describe('anti-entropy sweep', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;
  let redis: Redis;
  const prefix = uniquePrefix('sweep');

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts, numbersDbs: ['numbers/+1415', 'numbers/+1212'] }));
    redis = new Redis(redisUrl());
    for (let i = 1; i <= 8; i++) await fx.putNumber({ _id: sf(i), pvt_state: 'in_service', pvt_assigned_to: accounts[i % 3] });
    for (let i = 10; i <= 12; i++) await fx.putNumber({ _id: sf(i), pvt_state: 'in_service', pvt_assigned_to: D });
    for (let i = 1; i <= 6; i++)
      await fx.putNumber({
        _id: ny(i),
        pvt_state: i === 6 ? 'reserved' : 'in_service',
        pvt_assigned_to: accounts[i % 3],
        pvt_reserve_history: i === 1 ? [C] : [],
      });
    daemon = startTestDaemon(
      testSettings(couch.url, redisUrl(), prefix, {
        rescanIntervalMs: 600_000,
        coalesceMs: 0,
        sweepIntervalMs: SWEEP_MS,
        sweepMaxReadsPerS: 1000,
        batchSize: 4,
      }),
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    redis?.disconnect();
    await couch?.stop();
  });

  it('repairs a corrupted index and edited account docs within one sweep period', async () => {
    await waitFor(async () => (await fx.drift(accounts)).length === 0 && (await fx.listed(A)).length > 0, { what: 'initial sync' });
    // A quiet system: a full sweep repairs nothing.
    const first = await sweeps(daemon);
    await waitFor(async () => (await sweeps(daemon)) >= first + 1, { what: 'a sweep', timeoutMs: 3 * SWEEP_MS });
    const quiet = await repairs(daemon);
    await waitFor(async () => (await sweeps(daemon)) >= first + 2, { what: 'another sweep', timeoutMs: 3 * SWEEP_MS });
    expect(await repairs(daemon)).toEqual(quiet);
    const good = await indexState(redis, prefix);

    const k = (s: string) => `${prefix}:idx:${s}`;
    const indexValue = async (n: string) => JSON.parse((await redis.get(k(`num:${n}`)))!) as { db: string; accounts: string[]; entry: Record<string, unknown> };
    // Wrong owner: sf(1) belongs to B; the index says C.
    const owned = await indexValue(sf(1));
    expect(owned.accounts).toEqual([B]);
    await redis
      .multi()
      .set(k(`num:${sf(1)}`), JSON.stringify({ ...owned, accounts: [C] }))
      .srem(k(`acct:${B}`), sf(1))
      .sadd(k(`acct:${C}`), sf(1))
      .exec();
    // Missing number: sf(2) is gone from the index.
    await redis
      .multi()
      .del(k(`num:${sf(2)}`))
      .srem(k(`acct:${C}`), sf(2))
      .srem(k('db:numbers/+1415'), sf(2))
      .exec();
    // Extra number: one CouchDB does not hold, listed by A.
    await redis
      .multi()
      .set(k('num:+14155559999'), JSON.stringify({ ...owned, accounts: [A] }))
      .sadd(k(`acct:${A}`), '+14155559999')
      .sadd(k('db:numbers/+1415'), '+14155559999')
      .exec();
    // An orphan: an entry listed by B that CouchDB does not hold and no database set knows of.
    await redis
      .multi()
      .set(k('num:+14155559998'), JSON.stringify({ ...owned, accounts: [B] }))
      .sadd(k(`acct:${B}`), '+14155559998')
      .exec();
    // Wrong entry data, and a number dropped from its account's set only.
    const entry = await indexValue(ny(1));
    await redis.set(k(`num:${ny(1)}`), JSON.stringify({ ...entry, entry: { ...entry.entry, state: 'port_out' } }));
    await redis.srem(k(`acct:${A}`), ny(3));
    // Checkpoint moved backwards.
    await redis.hset(`${prefix}:ckpt`, 'numbers/+1212', '1');
    // Account docs edited behind the daemon's back: an entry removed, one invented, one altered
    // (A, B and C are also rebuilt for the index repairs; only the sweep's doc check finds D's edit).
    const edit = async (account: string, change: (doc: Record<string, unknown>) => void) => {
      const doc = (await fx.accountDoc(account))!;
      change(doc);
      await fx.couch.putDoc(accountDbName(account), { ...doc, _id: PHONE_NUMBERS_DOC_ID });
    };
    await edit(A, (doc) => delete doc[sf(3)]);
    await edit(B, (doc) => (doc['+14155558888'] = { state: 'in_service', features: [], assigned_to: B, used_by: '' }));
    await edit(C, (doc) => (doc[sf(5)] = { ...(doc[sf(5)] as object), state: 'reserved' }));
    await edit(D, (doc) => delete doc[sf(11)]);
    expect((await fx.drift(accounts)).length).toBe(4);

    let last: unknown;
    await waitFor(
      async () => {
        const [drift, state] = [await fx.drift(accounts), await indexState(redis, prefix)];
        last = { drift, state: Object.fromEntries(Object.entries(state).filter(([key, v]) => JSON.stringify(v) !== JSON.stringify(good[key]))) };
        return drift.length === 0 && JSON.stringify(state) === JSON.stringify(good);
      },
      { what: 'index and account docs repaired by the sweep alone', timeoutMs: 2 * SWEEP_MS + 3000, intervalMs: 200 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; left: ${JSON.stringify(last).slice(0, 3000)}`);
    });
    const repaired = await repairs(daemon);
    for (const kind of ['owner', 'missing', 'stale', 'entry', 'membership', 'account_doc']) expect(repaired[kind] ?? 0, kind).toBeGreaterThan(quiet[kind] ?? 0);
    const last1212 = (await daemon.metrics.sweepLastCompleted.get()).values.find((v) => v.labels.db === 'numbers/+1212');
    expect(last1212?.value).toBeGreaterThan(0);
  }, 90_000);
});
