import { afterAll, beforeAll } from 'vitest';
import { DiskCouch } from './disk-couch.js';
import { CouchFixture } from './numbers.js';
import { startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions } from '../../src/redis/embedded-redis.js';
import type { Daemon } from '../../src/daemon.js';

/** Servers of one describe block for Redis fault tests: a CouchDB on disk and a redis-server that can be killed and started again. */
export interface RedisFaultWorld {
  readonly couch: DiskCouch;
  readonly fx: CouchFixture;
  /** The current redis-server (a new one after restartRedis). */
  readonly redis: EmbeddedRedis;
  /** The test's daemon, stopped after the block. */
  daemon: Daemon | undefined;
  /** Starts redis-server again on the port of the killed one, with the same options (so the same AOF, if any). */
  restartRedis(): Promise<EmbeddedRedis>;
}

/**
 * DiskCouch.start(label), redis-server with `redisOptions(couch)` and a fixture, for the
 * describe block that calls it; torn down (daemon first) after the block.
 */
export function redisFaultWorld(label: string, redisOptions: (couch: DiskCouch) => EmbeddedRedisOptions = () => ({})): RedisFaultWorld {
  let couch: DiskCouch;
  let fx: CouchFixture;
  let redis: EmbeddedRedis;

  const world: RedisFaultWorld = {
    get couch() {
      return couch;
    },
    get fx() {
      return fx;
    },
    get redis() {
      return redis;
    },
    daemon: undefined,
    async restartRedis() {
      redis = await startEmbeddedRedis({ ...redisOptions(couch), port: redis.port });
      return redis;
    },
  };

  beforeAll(async () => {
    couch = await DiskCouch.start(label);
    redis = await startEmbeddedRedis(redisOptions(couch));
    fx = new CouchFixture(couch.url);
  });

  afterAll(async () => {
    await world.daemon?.stop();
    await redis?.stop();
    await couch?.close();
  });

  return world;
}
