import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, type CouchHandle } from './servers.js';
import type { CouchFixture } from './numbers.js';
import { startTestDaemon } from './daemon.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import type { Daemon } from '../../src/daemon.js';

/** Servers of one describe block (set in its beforeAll): a private CouchDB, and a private Redis a test can make refuse writes. */
export interface RefusingRedisWorld {
  couch: CouchHandle;
  fx: CouchFixture;
  redis: EmbeddedRedis;
  /** A client of its own, for the test's reads and for CONFIG SET. */
  admin: Redis;
  /** Starts the daemon, stopped after the block. */
  startDaemon(...args: Parameters<typeof startTestDaemon>): Daemon;
  /** From now on Redis refuses every write (OOM: maxmemory 1 under noeviction). */
  refuseWrites(): Promise<void>;
  acceptWrites(): Promise<void>;
}

/**
 * A private CouchDB with these databases and a private redis-server, for the describe block
 * that calls it; torn down (daemon first) after the block.
 */
export function refusingRedisWorld(dbs: Parameters<typeof privateCouchWith>[0]): RefusingRedisWorld {
  let daemon: Daemon | undefined;
  const world = {
    startDaemon(...args) {
      daemon = startTestDaemon(...args);
      return daemon;
    },
    refuseWrites: async () => void (await world.admin.config('SET', 'maxmemory', '1')),
    acceptWrites: async () => void (await world.admin.config('SET', 'maxmemory', '0')),
  } as RefusingRedisWorld;

  beforeAll(async () => {
    Object.assign(world, await privateCouchWith(dbs));
    world.redis = await startEmbeddedRedis();
    world.admin = new Redis(world.redis.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    world.admin.disconnect();
    await world.redis.stop();
    await world.couch.stop();
  });

  return world;
}
