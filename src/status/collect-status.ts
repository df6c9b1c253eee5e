import pMap from 'p-map';
import type { Redis } from 'ioredis';
import { isFollowedNumbersDb } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import { redactUrl } from '../util/redact.js';

export interface DbStatus {
  db: string;
  /** Last applied seq, opaque; null = never read. */
  checkpoint: unknown;
  /** Changes after the checkpoint; null when unknown (database gone or unreachable). */
  lag: number | null;
  /** False when a checkpoint exists but the database was deleted (the listener forgets it). */
  exists: boolean;
  error?: string;
}

export interface FailedJob {
  id: string | undefined;
  accountId: string | undefined;
  failedReason: string;
  attemptsMade: number;
  finishedOn: number | undefined;
}

export interface StatusReport {
  couch: string;
  redis: string;
  prefix: string;
  index: { epoch: string | null; ready: boolean };
  listener: { holder: string | null; ttlMs: number | null };
  queue: Record<string, number>;
  /** Worker connections seen by Redis (null when CLIENT LIST is not allowed). */
  workers: number | null;
  failed: FailedJob[];
  /** Accounts marked dirty and not yet enqueued (the outbox). */
  outbox: number;
  missingAccounts: number;
  databases: DbStatus[];
}

export interface StatusSources {
  couch: CouchClient;
  redis: Redis;
  index: NumberIndex;
  queue: RebuildQueue;
  /** Shown as is: pass a redacted URL. */
  redisDisplay: string;
  failedLimit: number;
  signal?: AbortSignal;
}

/** Everything `status` shows, read from Redis and CouchDB. Seqs are never compared, only passed back. */
export async function collectStatus(s: StatusSources): Promise<StatusReport> {
  const keys = s.index.keys;
  const [epoch, ready, holder, ttl, outbox, missing] = await Promise.all([
    s.index.epoch(),
    s.index.isReady(),
    s.redis.get(keys.listenerLease),
    s.redis.pttl(keys.listenerLease),
    s.redis.hlen(keys.dirty),
    s.redis.scard(keys.missingAccounts),
  ]);
  const [counts, failedJobs, workers] = await Promise.all([
    s.queue.counts(),
    s.queue.queue.getFailed(0, Math.max(0, s.failedLimit - 1)),
    s.queue.queue.getWorkersCount().catch(() => null),
  ]);
  const checkpoints = await s.index.checkpoints();
  const live = (await s.couch.listDbs('numbers/', 'numbers/\ufff0', s.signal)).filter(isFollowedNumbersDb);
  const names = [...new Set([...live, ...checkpoints.keys()])].sort();
  const liveSet = new Set(live);
  const databases = await pMap(names, (db) => dbStatus(s.couch, db, checkpoints.get(db), liveSet.has(db), s.signal), { concurrency: 8 });
  return {
    couch: s.couch.displayUrl,
    redis: s.redisDisplay,
    prefix: keys.prefix,
    index: { epoch: epoch ?? null, ready },
    listener: { holder, ttlMs: holder && ttl > 0 ? ttl : null },
    queue: counts,
    workers,
    failed: failedJobs.slice(0, s.failedLimit).map((job) => ({
      id: job.id,
      accountId: job.data?.accountId,
      failedReason: redactUrl(job.failedReason ?? ''),
      attemptsMade: job.attemptsMade,
      finishedOn: job.finishedOn,
    })),
    outbox,
    missingAccounts: missing,
    databases,
  };
}

async function dbStatus(couch: CouchClient, db: string, checkpoint: unknown, exists: boolean, signal?: AbortSignal): Promise<DbStatus> {
  const base = { db, checkpoint: checkpoint ?? null, exists };
  if (!exists) return { ...base, lag: null };
  try {
    // limit=0 acts as limit=1 on CouchDB; ask for 1 and count it with `pending` (rows after it).
    const page = await couch.changes(db, { since: checkpoint ?? 0, limit: 1, includeDocs: false, signal });
    return { ...base, lag: page.results.length + (typeof page.pending === 'number' ? page.pending : 0) };
  } catch (err) {
    if (err instanceof CouchError && err.kind === 'db_not_found') return { ...base, exists: false, lag: null };
    return { ...base, lag: null, error: redactUrl(err instanceof Error ? err.message : String(err)) };
  }
}
