import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { configuredRedisTarget, openRedis, type RedisTarget } from '../redis/connection.js';
import { withoutCredentials } from '@kazoo-numbers-sync/embedded-couch';
import { identityAlive } from './process-identity.js';
import { resolveServices, type ResolvedServices } from './services.js';
import { readRuntimeRecord, runtimeFilePath, untrustedRecordReason, type EmbeddedServicesRecord } from './runtime-file.js';

const PROBE_TIMEOUT_MS = 2000;

/**
 * Servers for a one-shot CLI command (status, verify, rebuild, ...). Configured URLs win.
 * Otherwise the command joins a daemon running with the embedded default on the same data
 * dir, through the servers and credentials it recorded in `<dataDir>/embedded-services.json`,
 * and only while that daemon runs and the record is private to this user. Nothing else that
 * answers on the embedded port is trusted (any local user could run a fake CouchDB there).
 * Only what is still missing is started (and stopped again when the command ends), exactly
 * as `run` would.
 */
export async function resolveCommandServices(config: Config, logger: Logger): Promise<ResolvedServices> {
  let couchUrl = config.couchUrl;
  let redis: RedisTarget | undefined = configuredRedisTarget(config);
  if (!couchUrl || !redis) {
    const live = await liveDaemonRecord(config.dataDir, logger);
    if (!couchUrl && live?.couchUrl && (await answersAsCouch(live.couchUrl))) couchUrl = live.couchUrl;
    if (!redis && live?.redisUrl) {
      const target = { redisUrl: live.redisUrl, ...(live.redisPassword ? { redisPassword: live.redisPassword } : {}) };
      if (await answersPing(target)) redis = target;
    }
    if (couchUrl) logger.debug({ url: couchUrl }, 'using the running CouchDB');
    if (redis) logger.debug({ url: redis.redisUrl }, 'using the running Redis');
  }
  if (couchUrl && redis) return { couchUrl, ...redis, secrets: [], stop: async () => undefined };
  // A Redis found here (configured, or the running daemon's) is not started again.
  const started = await resolveServices({ ...config, couchUrl, ...(redis?.redisSentinel ? {} : { redisUrl: redis?.redisUrl }) }, logger);
  return redis ? { ...started, ...redis } : started;
}

/** The runtime record when a live daemon wrote it and it is private to this user. */
async function liveDaemonRecord(dataDir: string, logger: Logger): Promise<EmbeddedServicesRecord | undefined> {
  const record = await readRuntimeRecord(dataDir);
  if (!record || !identityAlive({ pid: record.pid, ...(record.startedAt ? { startedAt: record.startedAt } : {}) })) return undefined;
  const distrust = await untrustedRecordReason(dataDir).catch((err: Error) => err.message);
  if (distrust) {
    logger.warn({ file: runtimeFilePath(dataDir), reason: distrust }, 'ignoring the embedded services record');
    return undefined;
  }
  return record;
}

/** True when `url` serves a CouchDB welcome banner (the embedded server does too). */
export async function answersAsCouch(url: string): Promise<boolean> {
  try {
    // fetch refuses URLs with credentials, and GET / needs none.
    const res = await fetch(new URL('/', withoutCredentials(url)), { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { couchdb?: unknown };
    return res.ok && typeof body.couchdb === 'string';
  } catch {
    return false;
  }
}

async function answersPing(target: RedisTarget): Promise<boolean> {
  const redis = openRedis(target, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}
