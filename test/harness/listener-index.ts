import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NumberIndex } from '../../src/index/number-index.js';
import { ListenerLease } from '../../src/listener/lease.js';

/**
 * An index view for a test that plays the listener without running one: it holds the listener
 * lease of `prefix` (long TTL), since every index write is fenced by it.
 */
export async function listenerIndex(redis: Redis, prefix: string): Promise<NumberIndex> {
  const reader = new NumberIndex(redis, prefix);
  const owner = `test-listener:${randomUUID()}`;
  if (!(await new ListenerLease(redis, reader.keys.listenerLease, owner, 600_000).tryAcquire())) {
    throw new Error(`the listener lease of ${prefix} is held by someone else`);
  }
  return reader.fencedBy({ owner });
}
