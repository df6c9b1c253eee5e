import { join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { startEmbeddedCouch } from '../couch/embedded/launcher.js';
import { startEmbeddedRedis } from '../redis/embedded-redis.js';
import { removeRuntimeRecord, writeRuntimeRecord, type EmbeddedServicesRecord } from './runtime-file.js';

export interface ResolvedServices {
  couchUrl: string;
  redisUrl: string;
  /** Stops whatever embedded servers were started for this process. */
  stop(): Promise<void>;
}

/**
 * The embedded default: without COUCHDB_URL, an embedded CouchDB-compatible server with
 * on-disk data; without REDIS_URL, a private redis-server with AOF. Both under the data dir.
 */
export async function resolveServices(config: Config, logger: Logger): Promise<ResolvedServices> {
  const stops: Array<() => Promise<void>> = [];
  const dataDir = resolve(config.dataDir);
  const record: EmbeddedServicesRecord = { pid: process.pid };
  try {
    let couchUrl = config.couchUrl;
    if (!couchUrl) {
      const couch = await startEmbeddedCouch({ port: config.embeddedCouchPort, dataDir: join(dataDir, 'couch') });
      stops.push(() => couch.stop());
      couchUrl = record.couchUrl = couch.url;
      logger.info({ url: couch.url, dataDir: join(dataDir, 'couch') }, 'COUCHDB_URL not set: started the embedded CouchDB-compatible server');
    }
    let redisUrl = config.redisUrl;
    if (!redisUrl) {
      const redis = await startEmbeddedRedis({ dataDir: join(dataDir, 'redis'), appendOnly: true });
      stops.push(() => redis.stop());
      redisUrl = record.redisUrl = redis.url;
      logger.info({ url: redis.url, dataDir: join(dataDir, 'redis') }, 'REDIS_URL not set: started a private redis-server (AOF on)');
    }
    if (stops.length > 0) {
      // Lets CLI commands with the same data dir find these servers (src/runtime/command-services.ts).
      await writeRuntimeRecord(dataDir, record).catch((err: Error) => logger.warn({ err: err.message }, 'cannot write the embedded services record'));
      stops.push(() => removeRuntimeRecord(dataDir, record.pid));
    }
    return { couchUrl, redisUrl, stop: () => stopAll(stops) };
  } catch (err) {
    await stopAll(stops);
    throw err;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
