import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { IndexLostError, LeaseLostError, NumberIndex } from '../../src/index/number-index.js';
import { ListenerLease } from '../../src/listener/lease.js';

const A = 'f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0a1';
const value = { db: 'numbers/+1415', accounts: [A], entry: { state: 'in_service', features: [] } } as never;

/** Every listener write checks the lease owner inside its Lua script. */
describe('index writes fenced by the listener lease', () => {
  const redis = new Redis(redisUrl());

  afterAll(() => redis.disconnect());

  async function setup() {
    const index = new NumberIndex(redis, uniquePrefix('fencing'));
    const mine = new ListenerLease(redis, index.keys.listenerLease, 'me#1', 10_000);
    expect(await mine.tryAcquire()).toBe(true);
    const writer = index.fencedBy({ owner: 'me#1' });
    const epoch = await writer.resetEpoch();
    await writer.commit(epoch, 'numbers/+1415', [{ number: '+14155550100', value }], 5, 'tok');
    return { index, writer, epoch };
  }

  it('applies writes while the lease is held, refuses every one once another owner holds it', async () => {
    const { index, writer, epoch } = await setup();
    expect((await index.lookup('+14155550100'))?.accounts).toEqual([A]);
    expect(await index.checkpoint('numbers/+1415')).toBe(5);

    await redis.set(index.keys.listenerLease, 'other#7');
    // Started one at a time: a write started before its expectation awaits it would reject
    // unhandled meanwhile.
    const refused = [
      () => writer.commit(epoch, 'numbers/+1415', [{ number: '+14155550100' }], 9, 'tok2'),
      () => writer.forgetDb('numbers/+1415'),
      () => writer.clearDirty('tok', [A]),
      () => writer.markReady(epoch),
      () => writer.finishReconcile(epoch),
      () => writer.resetEpoch(),
    ];
    for (const attempt of refused) await expect(attempt()).rejects.toBeInstanceOf(LeaseLostError);
    expect((await index.lookup('+14155550100'))?.accounts).toEqual([A]);
    expect(await index.checkpoint('numbers/+1415')).toBe(5);
    expect(await redis.hget(index.keys.dirty, A)).toBe('tok');
    expect(await index.epoch()).toBe(epoch);
    expect(await index.isReady()).toBe(false);
  });

  it('refuses a commit into another epoch with IndexLostError, and unfenced writes outright', async () => {
    const { index, writer } = await setup();
    await expect(writer.commit('old-epoch', 'numbers/+1415', [], 1, 't')).rejects.toBeInstanceOf(IndexLostError);
    await expect(index.commit('x', 'numbers/+1415', [], 1, 't')).rejects.toThrow(/listener lease/);
  });

  it('marks ready and reconcile pending together; a new epoch drops every old index key', async () => {
    const { index, writer, epoch } = await setup();
    await writer.markReady(epoch);
    expect(await index.isReady()).toBe(true);
    expect(await index.reconcilePending(epoch)).toBe(true);
    await writer.finishReconcile(epoch);
    expect(await index.reconcilePending(epoch)).toBe(false);

    await redis.del(index.keys.epoch);
    const next = await writer.resetEpoch();
    expect(next).not.toBe(epoch);
    expect(await index.lookup('+14155550100')).toBeUndefined();
    expect(await redis.exists(index.keys.account(A), index.keys.db('numbers/+1415'), index.keys.checkpoints, index.keys.ready)).toBe(0);
  });
});
