import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, type CouchHandle } from './servers.js';
import type { CouchFixture } from './numbers.js';
import { startTestDaemon } from './daemon.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/redis/embedded-redis.js';
import type { Daemon } from '../../src/daemon.js';

/** Servers of one describe block: a private CouchDB, and a private Redis a test can make refuse writes. */
export interface RefusingRedisWorld {
  readonly couch: CouchHandle;
  readonly fx: CouchFixture;
  readonly redis: EmbeddedRedis;
  /** A client of its own, for the test's reads and for CONFIG SET. */
  readonly admin: Redis;
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
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: EmbeddedRedis;
  let admin: Redis;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith(dbs));
    redis = await startEmbeddedRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    admin.disconnect();
    await redis.stop();
    await couch.stop();
  });

  return {
    get couch() {
      return couch;
    },
    get fx() {
      return fx;
    },
    get redis() {
      return redis;
    },
    get admin() {
      return admin;
    },
    startDaemon(...args) {
      daemon = startTestDaemon(...args);
      return daemon;
    },
    refuseWrites: async () => void (await admin.config('SET', 'maxmemory', '1')),
    acceptWrites: async () => void (await admin.config('SET', 'maxmemory', '0')),
  };
}
