import { join, resolve } from 'node:path';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { ensurePrivateDir, startEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { startEmbeddedRedis } from './embedded-redis.js';
import { configuredRedisTarget, type RedisTarget } from '../redis/connection.js';
import { currentProcessIdentity } from './process-identity.js';
import { removeRuntimeRecord, writeRuntimeRecord, type EmbeddedServicesRecord } from './runtime-file.js';

export interface ResolvedServices extends RedisTarget {
  /** With credentials (the embedded server's admin, or those of COUCHDB_URL). */
  couchUrl: string;
  /** Secrets of embedded servers started here, for log scrubbing. */
  secrets: string[];
  /** Stops whatever embedded servers were started for this process. */
  stop(): Promise<void>;
  /**
   * Resolves if the embedded CouchDB server exits without being stopped: its port is then free
   * for any local user to bind and receive the admin password from our next request.
   */
  embeddedCouchLost?: Promise<void>;
}

/**
 * The embedded default: without COUCHDB_URL, an embedded CouchDB-compatible server with
 * on-disk data and a random admin; without REDIS_URL, a private redis-server with AOF on a
 * unix socket with a random password. Both under the data dir (0700), recorded with their
 * credentials in the 0600 runtime record for CLI commands.
 */
export async function resolveServices(config: Config, logger: Logger): Promise<ResolvedServices> {
  const stops: Array<() => Promise<void>> = [];
  const dataDir = resolve(config.dataDir);
  const record: EmbeddedServicesRecord = { ...currentProcessIdentity() };
  const secrets: string[] = [];
  let stopping = false;
  let lost = () => {};
  const embeddedCouchLost = new Promise<void>((resolve) => (lost = resolve));
  try {
    const configuredRedis = configuredRedisTarget(config);
    if (!config.couchUrl || !configuredRedis) ensurePrivateDir(dataDir);
    let couchUrl = config.couchUrl;
    if (!couchUrl) {
      const couchDir = join(dataDir, 'couch');
      ensurePrivateDir(couchDir);
      // No admin given: the launcher makes a random one and puts it in `url`.
      const couch = await startEmbeddedCouch({ port: config.embeddedCouchPort, dataDir: couchDir });
      stops.push(() => couch.stop());
      void couch.exited.then(() => stopping || lost());
      couchUrl = record.couchUrl = couch.url;
      secrets.push(couch.admin.password);
      logger.info(
        { url: couch.baseUrl, dataDir: couchDir },
        'COUCHDB_URL not set: started the embedded CouchDB-compatible server (random admin, see the runtime record)',
      );
    }
    let redis: RedisTarget = configuredRedis ?? { redisUrl: '' };
    if (!configuredRedis) {
      const redisDir = join(dataDir, 'redis');
      const server = await startEmbeddedRedis({ dataDir: redisDir, appendOnly: true, unixSocket: true });
      stops.push(() => server.stop());
      redis = { redisUrl: server.url, redisPassword: server.password };
      record.redisUrl = server.url;
      record.redisPassword = server.password;
      if (server.password) secrets.push(server.password);
      logger.info({ socket: server.url, dataDir: redisDir }, 'REDIS_URL not set: started a private redis-server (unix socket, password, AOF on)');
    }
    if (stops.length > 0) {
      // Lets CLI commands with the same data dir find these servers (command-services.ts).
      await writeRuntimeRecord(dataDir, record).catch((err: Error) => logger.warn({ err: err.message }, 'cannot write the embedded services record'));
      stops.push(() => removeRuntimeRecord(dataDir, record.pid));
    }
    const stop = () => {
      stopping = true;
      return stopAll(stops);
    };
    return { couchUrl, ...redis, secrets, stop, embeddedCouchLost };
  } catch (err) {
    stopping = true;
    await stopAll(stops);
    throw err;
  }
}

async function stopAll(stops: Array<() => Promise<void>>): Promise<void> {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
