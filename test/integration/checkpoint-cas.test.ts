import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { heldDrainer } from '../harness/held-drainer.js';
import { listenerIndex } from '../harness/listener-index.js';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { freshNumbers, freshPrefixes } from '../harness/ids.js';
import type { CouchFixture } from '../harness/numbers.js';
import { CheckpointMovedError, type NumberIndex } from '../../src/index/number-index.js';

const A = 'c4c40000c4c40000c4c40000c4c40000';

/**
 * A Redis that fails over (or restarts from its AOF) can lose the last writes it acknowledged,
 * while the listener goes on from the position it keeps in memory. A page must never move the
 * checkpoint past an earlier page that was lost: its commit checks that the checkpoint is still
 * where it was read from.
 */
describe('checkpoint compare-and-set', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: Redis;
  let index: NumberIndex;
  let epoch: string;
  const [prefix] = freshPrefixes(1) as [string];
  const db = `numbers/${prefix}`;
  const numbers = freshNumbers(prefix, 5);

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [db] }));
    redis = new Redis(redisUrl());
    index = await listenerIndex(redis, uniquePrefix('ckpt-cas'));
    epoch = await index.resetEpoch();
    await index.markReady(epoch);
  });

  afterAll(async () => {
    redis?.disconnect();
    await couch?.stop();
  });

  it('refuses a page read from another position than the stored checkpoint, writing nothing', async () => {
    const value = { db, accounts: [A], entry: { state: 'in_service', features: [], assigned_to: A, used_by: '', created: 0, updated: 0 } };
    const other = `${db}-cas-unit`;
    await index.commit(epoch, other, [{ number: '+19995550001', value: { ...value, db: other } }], 'seq-1', 't1', { checkpoint: undefined });
    await expect(
      index.commit(epoch, other, [{ number: '+19995550002', value: { ...value, db: other } }], 'seq-2', 't2', { checkpoint: 'seq-0' }),
    ).rejects.toBeInstanceOf(CheckpointMovedError);
    expect(await index.lookup('+19995550002')).toBeUndefined();
    expect(await index.checkpoint(other)).toBe('seq-1');
    await index.commit(epoch, other, [{ number: '+19995550002', value: { ...value, db: other } }], 'seq-2', 't3', { checkpoint: 'seq-1' });
    expect(await index.checkpoint(other)).toBe('seq-2');
  });

  it('a drain whose first page was lost reads it again instead of skipping it', async () => {
    for (const _id of numbers) await fx.putNumber({ _id, pvt_state: 'in_service', pvt_assigned_to: A });
    let lost = false;
    const drainer = heldDrainer(couch.url, index, {
      batchSize: 2,
      // After the first page, Redis "loses" it: its numbers and the checkpoint it moved.
      afterBatch: async () => {
        if (lost) return;
        lost = true;
        for (const n of numbers) await redis.del(index.keys.number(n));
        await redis.srem(index.keys.db(db), ...numbers);
        await redis.srem(index.keys.account(A), ...numbers);
        await redis.hdel(index.keys.checkpoints, db);
      },
    });
    await drainer.drain(epoch, db, new AbortController().signal);
    for (const n of numbers) expect((await index.lookup(n))?.accounts, n).toEqual([A]);
    const info = await fx.couch.request<{ update_seq: unknown }>({ db, path: '' });
    expect(await index.checkpoint(db)).toEqual(info.update_seq);
  });

  it('a drain starts where the previous one committed, and reads the stored checkpoint once Redis lost it', async () => {
    const [otherPrefix] = freshPrefixes(1) as [string];
    const other = `numbers/${otherPrefix}`;
    await fx.createDbsReported([other]);
    const batch = freshNumbers(otherPrefix, 4);
    const put = (n: string) => fx.putNumber({ _id: n, pvt_state: 'in_service', pvt_assigned_to: A });
    const drain = () => drainer.drain(epoch, other, new AbortController().signal);
    for (const n of batch.slice(0, 2)) await put(n);
    const drainer = heldDrainer(couch.url, index, { batchSize: 10 });
    const reads = vi.spyOn(index, 'checkpoint');
    await drain();
    expect(reads).toHaveBeenCalledTimes(1);
    // A new change: the drain starts where the last one committed; its commit checks that.
    await put(batch[2]!);
    await drain();
    expect(reads).toHaveBeenCalledTimes(1);

    // Redis loses what the drains committed. With nothing new to read, the drain checks the
    // stored checkpoint, and reads everything again from it.
    for (const n of batch) await redis.del(index.keys.number(n));
    await redis.del(index.keys.db(other));
    await redis.srem(index.keys.account(A), ...batch);
    await redis.hdel(index.keys.checkpoints, other);
    await drain();
    for (const n of batch.slice(0, 3)) expect((await index.lookup(n))?.accounts, n).toEqual([A]);

    // Lost again, and a new number arrives: the page read from the remembered checkpoint is refused.
    for (const n of batch) await redis.del(index.keys.number(n));
    await redis.hdel(index.keys.checkpoints, other);
    await put(batch[3]!);
    await drain();
    for (const n of batch) expect((await index.lookup(n))?.accounts, n).toEqual([A]);
    const info = await fx.couch.request<{ update_seq: unknown }>({ db: other, path: '' });
    expect(await index.checkpoint(other)).toEqual(info.update_seq);
    reads.mockRestore();
  });
});
