import { afterAll, beforeAll } from 'vitest';
import { privateCouch, uniquePrefix, type CouchHandle } from './servers.js';
import { startTestDaemon, testSettings } from './daemon.js';
import { LogCapture } from './log-capture.js';
import { CouchFixture } from './numbers.js';
import { SentinelCluster } from './sentinel-cluster.js';
import { NumberLoad, type NumberLoadOptions } from '../reliability/number-load.js';
import { waitForConvergence } from '../reliability/converged.js';
import { loadConfig } from '../../src/config/config.js';
import { configuredRedisTarget, type RedisTarget } from '../../src/redis/connection.js';
import type { Daemon, DaemonOptions, DaemonSettings } from '../../src/daemon.js';

/** A daemon on the Sentinel-managed Redis, following a seeded load that it has converged on. */
export interface SentinelRun {
  target: RedisTarget;
  load: NumberLoad;
  fx: CouchFixture;
  log: LogCapture;
  prefix: string;
  /** Waits for zero drift, the load's model listed, and every checkpoint at the end. */
  converged(opts?: Parameters<typeof waitForConvergence>[4]): Promise<void>;
}

export interface SentinelWorld {
  couch: CouchHandle;
  cluster: SentinelCluster;
  /** The daemon's Redis settings, read through the config like an operator's environment. */
  target(): RedisTarget;
  /** Seeds the load, starts the daemon, applies `warmup` changes and waits until it has converged. */
  start(opts: {
    load: Omit<NumberLoadOptions, 'couchUrl'>;
    label: string;
    settings: Partial<DaemonSettings>;
    hooks?: DaemonOptions['hooks'];
    warmup: number;
  }): Promise<SentinelRun>;
}

/**
 * A private CouchDB and Redis behind Sentinel (1 primary, 2 replicas, 3 sentinels) for the
 * describe block that calls it; the daemon and load it starts are stopped after the block.
 */
export function sentinelWorld(): SentinelWorld {
  let daemon: Daemon | undefined;
  let load: NumberLoad | undefined;

  const target = () => configuredRedisTarget(loadConfig(world.cluster.env())) as RedisTarget;
  const world = {
    target,
    async start(opts) {
      const { couch, cluster } = world;
      const redis = target();
      const run = new NumberLoad({ couchUrl: couch.url, ...opts.load });
      load = run;
      await run.setup();
      const fx = new CouchFixture(couch.url);
      const log = new LogCapture();
      const prefix = uniquePrefix(opts.label);
      daemon = startTestDaemon(testSettings(couch.url, redis.redisUrl, prefix, { ...redis, ...opts.settings }), {
        logger: log.logger,
        ...(opts.hooks ? { hooks: opts.hooks } : {}),
      });
      const converged = async (waitOpts?: Parameters<typeof waitForConvergence>[4]) =>
        waitForConvergence(fx, run, await cluster.primaryUrl(), prefix, waitOpts);
      await run.step(opts.warmup);
      await converged();
      return { target: redis, load: run, fx, log, prefix, converged };
    },
  } as SentinelWorld;

  beforeAll(async () => {
    world.couch = await privateCouch();
    world.cluster = await SentinelCluster.start();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await load?.teardown();
    await world.cluster?.stop();
    await world.couch?.stop();
  });

  return world;
}
