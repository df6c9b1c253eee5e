import type { Redis } from 'ioredis';
import { openRedis, type SentinelTarget } from './redis/connection.js';
import { CouchClient } from './couch/couch-client.js';
import { NumberIndex } from './index/number-index.js';
import { RebuildQueue } from './queue/rebuild-queue.js';
import { Listener } from './listener/listener.js';
import { AccountRebuilder } from './rebuild/account-rebuilder.js';
import { AccountDocCache, DocCacheSeal, docCacheKey } from './rebuild/doc-cache.js';
import { CouchAvailability } from './rebuild/couch-availability.js';
import { FailedJobRetrier } from './queue/failed-job-retrier.js';
import { RebuildWorker } from '../workers/rebuild-worker.js';
import { Metrics } from './metrics/metrics.js';
import { AuditRecordStore } from './audit/audit-record.js';
import { scheduledAuditFor, type ScheduledAudit } from './audit/scheduled-audit.js';
import { runVerifyChild } from './audit/verify-child.js';
import type { Logger } from './log/logger.js';
import { judgeEvictionPolicy, readMaxmemoryPolicy } from './redis/eviction-policy.js';
import { backoffDelay } from './util/backoff.js';
import { abortableSleep } from './util/abortable-sleep.js';
import { settleWithin } from './http/with-timeout.js';

export interface DaemonSettings {
  couchUrl: string;
  /** A redis:// URL, or a unix socket path (the embedded default's private redis-server). */
  redisUrl: string;
  /** Password of a socket-path redisUrl or of Sentinel-managed data nodes (a redis:// URL carries its own). */
  redisPassword?: string;
  /** A Sentinel-managed primary (redisUrl is then only its description). */
  redisSentinel?: SentinelTarget;
  prefix: string;
  concurrency: number;
  drainConcurrency: number;
  batchSize: number;
  /** Change rows above this many bytes are quarantined (default 1 MiB). */
  maxDocBytes?: number;
  /** Bytes of pages held by all drains together (default 32 MiB). */
  readBufferBytes?: number;
  rescanIntervalMs: number;
  /** Live _changes feeds on recently changed numbers databases (0 = _db_updates only; unset: 64). */
  liveFeeds?: number;
  pollIntervalMs: number;
  feedTimeoutMs: number;
  requestTimeoutMs: number;
  leaseTtlMs: number;
  jobAttempts: number;
  jobBackoffMs: number;
  /** Period of the failed-job retrier of worker processes (default 5 min). */
  failedRetryIntervalMs?: number;
  /** Delay of new rebuild jobs, coalescing bursts (0 or unset: none). */
  coalesceMs?: number;
  shutdownTimeoutMs: number;
  /** Start even when Redis may evict keys (maxmemory-policy other than noeviction). */
  allowEviction?: boolean;
  /** Drift audit schedule of the listener lease holder (0 or unset: none). */
  auditIntervalMs?: number;
  /** Anti-entropy sweep period (0 or unset: off) and its read-rate bound (0 or unset: none). */
  sweepIntervalMs?: number;
  sweepMaxReadsPerS?: number;
}

export interface DaemonOptions {
  settings: DaemonSettings;
  /** `listen`: follow the feeds (one process cluster-wide holds the lease); `work`: run rebuild jobs. */
  roles: { listen: boolean; work: boolean };
  logger: Logger;
  metrics?: Metrics;
  onFatal?: (err: Error) => void;
  /** Test hooks to widen race windows; never set in production. */
  hooks?: {
    afterBatch?: (db: string, rows: number) => Promise<void> | void;
    /** Around the listener's index commits (a page read, not yet applied / applied, not yet enqueued). */
    beforeCommit?: (db: string) => Promise<void> | void;
    afterCommit?: (db: string) => Promise<void> | void;
    beforeWrite?: (accountId: string) => Promise<void>;
  };
}

/** Wires the parts of one daemon process: CouchDB client, Redis index, queue, listener, workers. */
export class Daemon {
  readonly metrics: Metrics;
  readonly couch: CouchClient;
  readonly redis: Redis;
  readonly index: NumberIndex;
  readonly queue: RebuildQueue;
  readonly listener: Listener | undefined;
  readonly worker: RebuildWorker | undefined;
  /** The last drift audit, in Redis; the schedule that writes it runs in the lease holder. */
  readonly auditRecord: AuditRecordStore;
  private readonly audit: ScheduledAudit | undefined;
  private readonly workerRedis: Redis | undefined;
  private readonly failedJobRetrier: FailedJobRetrier | undefined;
  private starting: Promise<void> | undefined;
  private partsStarted = false;
  private readonly stopping = new AbortController();

  constructor(private readonly opts: DaemonOptions) {
    const { settings, logger } = opts;
    this.metrics = opts.metrics ?? new Metrics();
    this.couch = new CouchClient({ url: settings.couchUrl, requestTimeoutMs: settings.requestTimeoutMs });
    this.redis = openRedis(settings, { lazyConnect: false });
    this.redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
    this.index = new NumberIndex(this.redis, settings.prefix);
    this.queue = new RebuildQueue({
      connection: this.redis,
      prefix: settings.prefix,
      attempts: settings.jobAttempts,
      backoffMs: settings.jobBackoffMs,
      coalesceMs: settings.coalesceMs,
      metrics: this.metrics,
      onError: (err) => logger.debug({ err: err.message }, 'redis connection error (rebuild queue)'),
    });
    if (opts.roles.listen) {
      this.listener = new Listener({
        ...settings,
        redis: this.redis,
        couch: this.couch,
        index: this.index,
        queue: this.queue,
        logger: logger.child({ role: 'listener' }),
        metrics: this.metrics,
        onFatal: (err) => opts.onFatal?.(err),
        afterBatch: opts.hooks?.afterBatch,
        beforeCommit: opts.hooks?.beforeCommit,
        afterCommit: opts.hooks?.afterCommit,
      });
    }
    if (opts.roles.work) {
      // Workers block on Redis; BullMQ requires such connections to retry forever.
      this.workerRedis = openRedis(settings, { maxRetriesPerRequest: null });
      this.workerRedis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
      const workerLogger = logger.child({ role: 'worker' });
      const couchAvailability = new CouchAvailability(this.couch);
      this.worker = new RebuildWorker({
        connection: this.workerRedis,
        prefix: settings.prefix,
        concurrency: settings.concurrency,
        // Started by start(), once Redis was checked.
        autorun: false,
        logger: workerLogger,
        metrics: this.metrics,
        couchAvailability,
        outageBackoffMs: settings.jobBackoffMs,
        rebuilder: new AccountRebuilder({
          couch: this.couch,
          index: this.index,
          // Keyed by the CouchDB credentials, which never go to Redis.
          docCache: new AccountDocCache({
            redis: this.redis,
            keys: this.index.keys,
            seal: new DocCacheSeal(docCacheKey(settings.couchUrl)),
            logger: workerLogger,
            metrics: this.metrics,
          }),
          logger: workerLogger,
          metrics: this.metrics,
          beforeWrite: opts.hooks?.beforeWrite,
        }),
      });
      this.failedJobRetrier = new FailedJobRetrier({
        queue: this.queue,
        intervalMs: settings.failedRetryIntervalMs ?? 300_000,
        isCouchAvailable: () => couchAvailability.isAvailable(),
        logger: workerLogger,
        metrics: this.metrics,
      });
    }
    this.auditRecord = new AuditRecordStore(this.redis, settings.prefix);
    this.audit = scheduledAuditFor(
      { settings, listener: this.listener, index: this.index, store: this.auditRecord, logger: logger.child({ role: 'audit' }) },
      runVerifyChild,
    );
  }

  /**
   * Checks Redis's eviction policy, then starts the listener and the workers. A policy that
   * may evict keys stops the daemon (onFatal) unless allowEviction is set. While Redis does not
   * answer, they start anyway (they retry and report it themselves) and the policy is checked
   * as soon as it answers.
   */
  start(): this {
    this.starting ??= this.checkThenStart().catch((err: unknown) => this.opts.logger.error({ err: String(err) }, 'start-up failed'));
    return this;
  }

  private async checkThenStart(): Promise<void> {
    const { logger } = this.opts;
    let policy: string | undefined;
    try {
      policy = await readMaxmemoryPolicy(this.redis);
    } catch (err) {
      logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'cannot read the Redis memory policy (INFO memory) yet; checking it once Redis answers',
      );
      this.startParts();
      const later = await this.readPolicyPatiently();
      if (!later.read) return;
      policy = later.policy;
    }
    if (this.acceptPolicy(policy)) this.startParts();
  }

  private startParts(): void {
    if (this.partsStarted || this.stopping.signal.aborted) return;
    this.partsStarted = true;
    this.listener?.start();
    this.audit?.start();
    this.failedJobRetrier?.start();
    this.worker?.worker.run().catch((err: Error) => this.opts.logger.error({ err: err.message }, 'rebuild worker stopped'));
  }

  private async readPolicyPatiently(): Promise<{ read: true; policy: string | undefined } | { read: false }> {
    for (let attempt = 0; !this.stopping.signal.aborted; attempt++) {
      await abortableSleep(backoffDelay(attempt), this.stopping.signal);
      try {
        return { read: true, policy: await readMaxmemoryPolicy(this.redis) };
      } catch {
        // Still unreachable: the listener and workers report it.
      }
    }
    return { read: false };
  }

  /** False (after reporting through onFatal) when the daemon must not run under this policy. */
  private acceptPolicy(policy: string | undefined): boolean {
    const verdict = judgeEvictionPolicy(policy, this.opts.settings.allowEviction ?? false);
    if (verdict.ok) return true;
    if (verdict.allowed) {
      this.opts.logger.warn(
        { policy: verdict.policy },
        'Redis maxmemory-policy is not noeviction; starting anyway (NUMBERS_SYNC_ALLOW_EVICTION): evicted keys make account docs drift',
      );
      return true;
    }
    this.opts.onFatal?.(verdict.error);
    return false;
  }

  /**
   * Graceful stop within shutdownTimeoutMs: followers stop (a page being applied is committed
   * whole by its Lua script or not at all; affected accounts already committed stay in the
   * outbox for the next start) while workers stop taking jobs and finish the active ones.
   * Whatever has not finished by the deadline is abandoned, which is safe: an abandoned job's
   * lock expires and it runs again elsewhere, an abandoned page is read again from the checkpoint.
   * Then the connections close.
   */
  async stop(): Promise<void> {
    const { logger, settings } = this.opts;
    const started = Date.now();
    this.stopping.abort();
    await this.audit?.stop();
    await settleWithin(this.starting, 2000);
    const [listenerDone, workerDone] = await Promise.all([
      settleWithin(this.listener?.stop(), settings.shutdownTimeoutMs),
      // BullMQ's close() waits for active jobs; a later close(true) would only return that same promise.
      settleWithin(this.worker?.close(), settings.shutdownTimeoutMs),
      settleWithin(this.failedJobRetrier?.stop(), settings.shutdownTimeoutMs),
    ]);
    if (!listenerDone) logger.warn({ timeoutMs: settings.shutdownTimeoutMs }, 'listener did not stop in time; abandoning its current page');
    if (!workerDone) logger.warn({ timeoutMs: settings.shutdownTimeoutMs }, 'active rebuilds did not finish in time; abandoning them (they will run again)');
    await settleWithin(this.queue.close(), 2000);
    this.workerRedis?.disconnect();
    this.redis.disconnect();
    logger.debug({ ms: Date.now() - started }, 'daemon stopped');
  }
}
