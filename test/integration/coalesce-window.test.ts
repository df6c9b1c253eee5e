// The per-account coalescing window against the real Redis: which requests must wait.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { CoalesceWindow } from '../../src/queue/coalesce-window.js';

describe('CoalesceWindow', () => {
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(redisUrl());
  });
  afterAll(() => redis.disconnect());

  it('a first request is not recent; a repeat within the window is, and restarts the window', async () => {
    const window = new CoalesceWindow(redis, uniquePrefix('window'), 60_000);
    expect([...(await window.markRequested(['a', 'b']))]).toEqual([]);
    expect([...(await window.markRequested(['b', 'c']))]).toEqual(['b']);
    // Each request sets the key's expiry to the whole window again.
    const ttl = await redis.pttl(window.key('b'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('an expired window counts as no request', async () => {
    const window = new CoalesceWindow(redis, uniquePrefix('window'), 60_000);
    await window.markRequested(['a']);
    await redis.del(window.key('a'));
    expect([...(await window.markRequested(['a']))]).toEqual([]);
  });

  it('a window of 0 never delays and writes nothing', async () => {
    const prefix = uniquePrefix('window');
    const window = new CoalesceWindow(redis, prefix, 0);
    await window.markRequested(['a']);
    expect([...(await window.markRequested(['a']))]).toEqual([]);
    expect(await redis.exists(window.key('a'))).toBe(0);
  });
});
