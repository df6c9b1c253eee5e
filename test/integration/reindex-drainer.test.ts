import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { heldDrainer } from '../harness/held-drainer.js';
import { listenerIndex } from '../harness/listener-index.js';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import type { CouchFixture } from '../harness/numbers.js';
import type { NumberIndex } from '../../src/index/number-index.js';
import type { DbDrainer } from '../../src/listener/db-drainer.js';

const A = 'a3ee0000a3ee0000a3ee0000a3ee0000';

/** The reindex itself, on one database, without a daemon around it. */
describe('DbDrainer.reindex', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: Redis;
  let index: NumberIndex;
  let drainer: DbDrainer;
  let epoch: string;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: ['numbers/+1415', 'numbers/+1212', 'numbers/+1313'] }));
    redis = new Redis(redisUrl());
    index = await listenerIndex(redis, uniquePrefix('reindex-drainer'));
    epoch = await index.resetEpoch();
    await index.markReady(epoch);
    drainer = heldDrainer(couch.url, index, { batchSize: 2 });
  });

  afterAll(async () => {
    redis?.disconnect();
    await couch?.stop();
  });

  it('paces every page it reads, the last one included', async () => {
    for (let i = 0; i < 5; i++) await fx.putNumber({ _id: `+141555500${i}0`, pvt_state: 'in_service', pvt_assigned_to: A });
    const paced: number[] = [];
    const result = await drainer.reindex(epoch, 'numbers/+1415', new AbortController().signal, [
      { reason: 'sweep', throttle: async (rows) => void paced.push(rows) },
    ]);
    expect(result.read).toBe(5);
    expect(paced.reduce((a, b) => a + b, 0)).toBe(5);
    expect(result.repairs).toEqual({}); // its catch-up drain indexed them first: nothing was wrong
    expect((await index.numbersOfDb('numbers/+1415')).length).toBe(5);
  });

  it('a drain that CouchDB refuses the checkpoint of turns into a reindex', async () => {
    await fx.putNumber({ _id: '+12125550001', pvt_state: 'in_service', pvt_assigned_to: A });
    await redis.hset(index.keys.checkpoints, 'numbers/+1212', JSON.stringify('corrupt'));
    await drainer.run(epoch, 'numbers/+1212', { forget: false }, new AbortController().signal);
    expect(await index.lookup('+12125550001')).toMatchObject({ accounts: [A] });
    const info = await fx.couch.request<{ update_seq: unknown }>({ db: 'numbers/+1212', path: '' });
    expect(await index.checkpoint('numbers/+1212')).toEqual(info.update_seq);
  });

  it('tells a reindex request merged with a forget its outcome when the forget fails', async () => {
    // A view whose writes Redis refuses (the lease is not its owner's): the forget fails first.
    const refused = index.fencedBy({ owner: 'not-the-lease-holder' });
    const other = heldDrainer(couch.url, refused, { batchSize: 2 });
    let told: unknown;
    await expect(
      other.run(epoch, 'numbers/+1415', { forget: true, reindex: [{ reason: 'sweep', done: (o) => (told = o) }] }, new AbortController().signal),
    ).rejects.toThrow();
    // Unanswered, the sweep waiting for it would wait for the rest of the session.
    expect(told).toBeInstanceOf(Error);
  });

  it('forgetting a deleted database removes its numbers missing from its set too', async () => {
    const db = 'numbers/+1717';
    await fx.createDb(db);
    await fx.putNumber({ _id: '+17175550001', pvt_state: 'in_service', pvt_assigned_to: A });
    await fx.putNumber({ _id: '+17175550002', pvt_state: 'in_service', pvt_assigned_to: A });
    await drainer.drain(epoch, db, new AbortController().signal);
    expect((await index.numbersOfDb(db)).sort()).toEqual(['+17175550001', '+17175550002']);
    // Corrupted membership (the sweep would repair it, but the database goes first).
    await redis.srem(index.keys.db(db), '+17175550002');
    await fx.deleteDb(db);
    await drainer.run(epoch, db, { forget: true }, new AbortController().signal).catch(() => undefined);
    expect(await index.lookup('+17175550002')).toBeUndefined();
    expect(await redis.sismember(index.keys.account(A), '+17175550002')).toBe(0);
  });

  it('moves the checkpoint of an empty database to its end, whatever it was', async () => {
    await redis.hset(index.keys.checkpoints, 'numbers/+1313', JSON.stringify('bogus'));
    const result = await drainer.reindex(epoch, 'numbers/+1313', new AbortController().signal, [{ reason: 'command' }]);
    expect(result.repairs).toEqual({ checkpoint: 1 });
    const info = await fx.couch.request<{ update_seq: unknown }>({ db: 'numbers/+1313', path: '' });
    expect(await index.checkpoint('numbers/+1313')).toEqual(info.update_seq);
  });
});
