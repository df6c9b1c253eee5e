import { afterAll, beforeAll } from 'vitest';
import { DiskCouch } from './disk-couch.js';
import { CouchFixture } from './numbers.js';
import { startEmbeddedRedis, type EmbeddedRedis, type EmbeddedRedisOptions } from '../../src/embedded/embedded-redis.js';
import type { Daemon } from '../../src/daemon.js';

/** Servers of one describe block (set in its beforeAll) for Redis fault tests: a CouchDB on disk and a redis-server that can be killed and started again. */
export interface RedisFaultWorld {
  couch: DiskCouch;
  fx: CouchFixture;
  /** The current redis-server (a new one after restartRedis). */
  redis: EmbeddedRedis;
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
  const world = {
    daemon: undefined,
    async restartRedis() {
      world.redis = await startEmbeddedRedis({ ...redisOptions(world.couch), port: world.redis.port });
      return world.redis;
    },
  } as RedisFaultWorld;

  beforeAll(async () => {
    world.couch = await DiskCouch.start(label);
    world.redis = await startEmbeddedRedis(redisOptions(world.couch));
    world.fx = new CouchFixture(world.couch.url);
  });

  afterAll(async () => {
    await world.daemon?.stop();
    await world.redis?.stop();
    await world.couch?.close();
  });

  return world;
}
