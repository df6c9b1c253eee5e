import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NumberIndex } from '../../src/index/number-index.js';
import { RebuildOutbox } from '../../src/queue/outbox.js';
import type { RebuildQueue } from '../../src/queue/rebuild-queue.js';
import { freshAccountId } from '../harness/ids.js';
import { listenerIndex } from '../harness/listener-index.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';

/** An outbox whose queue records each request, and an index value listing one fresh account. */
function recordingOutbox(index: NumberIndex, db: string) {
  const account = freshAccountId();
  const requests: string[][] = [];
  const queue = { request: async (accounts: Iterable<string>) => void requests.push([...accounts]) } as unknown as RebuildQueue;
  const value = { db, accounts: [account], entry: { state: 'in_service', features: [], assigned_to: account, used_by: '', created: 0, updated: 0 } };
  return { account, requests, value, outbox: new RebuildOutbox(index, queue) };
}

/**
 * A flush (every rescan runs one) that reads the marks of a batch just committed, before that
 * batch's own delivery began, requested its accounts too: two requests for one change, and a
 * second job for an account whose first job was already running (seen as two failed jobs of
 * one poison account in test/reliability/poison-job.test.ts).
 */
describe('outbox: a batch in flight from before its commit', () => {
  let redis: Redis;
  let index: NumberIndex;
  let epoch: string;

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    index = await listenerIndex(redis, uniquePrefix('outbox-in-flight'));
    epoch = await index.resetEpoch();
    await index.markReady(epoch);
  });

  afterAll(() => redis?.disconnect());

  it('a flush between the commit and its delivery leaves the marks to that delivery: one request per change', async () => {
    const { account: A, requests, value, outbox } = recordingOutbox(index, 'numbers/+1999');

    const affected = await outbox.commit(async (token) => {
      const marked = await index.commit(epoch, 'numbers/+1999', [{ number: '+19995550100', value }], 'seq-1', token);
      // A rescan's flush lands right after the commit, before the delivery.
      await outbox.flushIfReleased();
      return marked;
    });

    expect(affected).toEqual([A]);
    expect(requests).toEqual([[A]]);
    // Delivered and cleared: a later flush requests nothing.
    await outbox.flushIfReleased();
    expect(requests).toEqual([[A]]);
  });

  it('a commit that fails leaves its marks to the next flush', async () => {
    const { account: A, requests, value, outbox } = recordingOutbox(index, 'numbers/+1998');

    // Committed in Redis, but the caller sees a failure (e.g. a reply lost with the connection).
    await expect(
      outbox.commit(async (token) => {
        await index.commit(epoch, 'numbers/+1998', [{ number: '+19985550100', value }], 'seq-1', token);
        throw new Error('reply lost');
      }),
    ).rejects.toThrow('reply lost');
    expect(requests).toEqual([]);
    await outbox.flushIfReleased();
    expect(requests).toEqual([[A]]);
  });
});
