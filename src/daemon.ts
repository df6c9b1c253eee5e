import { Redis } from 'ioredis';
import { CouchClient } from './couch/couch-client.js';
import { NumberIndex } from './index/number-index.js';
import { RebuildQueue } from './queue/rebuild-queue.js';
import { RebuildOutbox } from './queue/outbox.js';
import { Listener } from './listener/listener.js';
import { AccountRebuilder } from './rebuild/account-rebuilder.js';
import { RebuildWorker } from '../workers/rebuild-worker.js';
import { Metrics } from './metrics/metrics.js';
import type { Logger } from './log/logger.js';

export interface DaemonSettings {
  couchUrl: string;
  redisUrl: string;
  prefix: string;
  concurrency: number;
  drainConcurrency: number;
  batchSize: number;
  /** Change rows above this many bytes are quarantined (default 1 MiB). */
  maxDocBytes?: number;
  /** Bytes of pages held by all drains together (default 32 MiB). */
  readBufferBytes?: number;
  rescanIntervalMs: number;
  pollIntervalMs: number;
  feedTimeoutMs: number;
  requestTimeoutMs: number;
  leaseTtlMs: number;
  jobAttempts: number;
  jobBackoffMs: number;
  /** Delay of new rebuild jobs, coalescing bursts (0 or unset: none). */
  coalesceMs?: number;
  shutdownTimeoutMs: number;
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
  private readonly workerRedis: Redis | undefined;

  constructor(private readonly opts: DaemonOptions) {
    const { settings, logger } = opts;
    this.metrics = opts.metrics ?? new Metrics();
    this.couch = new CouchClient({ url: settings.couchUrl, requestTimeoutMs: settings.requestTimeoutMs });
    this.redis = new Redis(settings.redisUrl, { lazyConnect: false });
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
        outbox: new RebuildOutbox(this.index, this.queue),
        logger: logger.child({ role: 'listener' }),
        metrics: this.metrics,
        onFatal: (err) => opts.onFatal?.(err),
        afterBatch: opts.hooks?.afterBatch,
      });
    }
    if (opts.roles.work) {
      // Workers block on Redis; BullMQ requires such connections to retry forever.
      this.workerRedis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
      this.workerRedis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
      this.worker = new RebuildWorker({
        connection: this.workerRedis,
        prefix: settings.prefix,
        concurrency: settings.concurrency,
        logger: logger.child({ role: 'worker' }),
        metrics: this.metrics,
        rebuilder: new AccountRebuilder({
          couch: this.couch,
          index: this.index,
          logger: logger.child({ role: 'worker' }),
          metrics: this.metrics,
          beforeWrite: opts.hooks?.beforeWrite,
        }),
      });
    }
  }

  start(): this {
    this.listener?.start();
    return this;
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
    const [listenerDone, workerDone] = await Promise.all([
      settleWithin(this.listener?.stop(), settings.shutdownTimeoutMs),
      // BullMQ's close() waits for active jobs; a later close(true) would only return that same promise.
      settleWithin(this.worker?.close(), settings.shutdownTimeoutMs),
    ]);
    if (!listenerDone) logger.warn({ timeoutMs: settings.shutdownTimeoutMs }, 'listener did not stop in time; abandoning its current page');
    if (!workerDone) logger.warn({ timeoutMs: settings.shutdownTimeoutMs }, 'active rebuilds did not finish in time; abandoning them (they will run again)');
    await settleWithin(this.queue.close(), 2000);
    this.workerRedis?.disconnect();
    this.redis.disconnect();
    logger.debug({ ms: Date.now() - started }, 'daemon stopped');
  }
}

/** Waits for `promise` at most `ms`; true when it settled (either way) in time. */
async function settleWithin(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!promise) return true;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true, () => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
