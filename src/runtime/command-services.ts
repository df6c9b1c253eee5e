import { Redis } from 'ioredis';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { resolveServices, type ResolvedServices } from './services.js';
import { processAlive, readRuntimeRecord } from './runtime-file.js';

const PROBE_TIMEOUT_MS = 2000;

/**
 * Servers for a one-shot CLI command (status, verify, rebuild, ...). Configured URLs win.
 * Otherwise the command joins a daemon running with the embedded default on the same data
 * dir: first the servers recorded in `<dataDir>/embedded-services.json` by a live process,
 * then, for CouchDB, whatever answers as CouchDB on 127.0.0.1:<embedded port>. Only what is
 * still missing is started (and stopped again when the command ends), exactly as `run` would.
 */
export async function resolveCommandServices(config: Config, logger: Logger): Promise<ResolvedServices> {
  let couchUrl = config.couchUrl;
  let redisUrl = config.redisUrl;
  if (!couchUrl || !redisUrl) {
    const record = await readRuntimeRecord(config.dataDir);
    const live = record && processAlive(record.pid) ? record : undefined;
    if (!couchUrl && live?.couchUrl && (await answersAsCouch(live.couchUrl))) couchUrl = live.couchUrl;
    if (!couchUrl) {
      const local = `http://127.0.0.1:${config.embeddedCouchPort}`;
      if (await answersAsCouch(local)) couchUrl = local;
    }
    if (!redisUrl && live?.redisUrl && (await answersPing(live.redisUrl))) redisUrl = live.redisUrl;
    if (couchUrl) logger.debug({ url: couchUrl }, 'using the running CouchDB');
    if (redisUrl) logger.debug({ url: redisUrl }, 'using the running Redis');
  }
  if (couchUrl && redisUrl) return { couchUrl, redisUrl, stop: async () => undefined };
  return resolveServices({ ...config, couchUrl, redisUrl }, logger);
}

/** True when `url` serves a CouchDB welcome banner (the embedded server does too). */
export async function answersAsCouch(url: string): Promise<boolean> {
  try {
    // fetch refuses URLs with credentials, and GET / needs none.
    const root = new URL('/', url);
    root.username = root.password = '';
    const res = await fetch(root, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { couchdb?: unknown };
    return res.ok && typeof body.couchdb === 'string';
  } catch {
    return false;
  }
}

async function answersPing(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
