import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { DbDrainer } from './db-drainer.js';
import { FollowSession, type SessionStatus } from './follow-session.js';
import { ListenerLease } from './lease.js';

export interface ListenerOptions {
  redis: Redis;
  couch: CouchClient;
  index: NumberIndex;
  queue: RebuildQueue;
  outbox: RebuildOutbox;
  logger: Logger;
  metrics: Metrics;
  batchSize: number;
  maxDocBytes?: number;
  readBufferBytes?: number;
  drainConcurrency: number;
  rescanIntervalMs: number;
  pollIntervalMs: number;
  feedTimeoutMs: number;
  requestTimeoutMs: number;
  leaseTtlMs: number;
  /** Called once when CouchDB refuses our credentials: the daemon must stop. */
  onFatal: (err: Error) => void;
  afterBatch?: (db: string, rows: number) => Promise<void> | void;
}

export interface ListenerStatus extends Partial<SessionStatus> {
  owner: string;
  leader: boolean;
}

/**
 * Competes for the listener lease and, while holding it, runs follow sessions back to back:
 * a session that loses the lease or finds the index gone is replaced by a fresh one.
 */
export class Listener {
  readonly lease: ListenerLease;
  private readonly drainer: DbDrainer;
  private readonly controller = new AbortController();
  private session: FollowSession | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ListenerOptions) {
    const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.lease = new ListenerLease(opts.redis, opts.index.keys.listenerLease, owner, opts.leaseTtlMs);
    this.drainer = new DbDrainer({
      couch: opts.couch,
      index: opts.index,
      outbox: opts.outbox,
      logger: opts.logger,
      metrics: opts.metrics,
      batchSize: opts.batchSize,
      maxDocBytes: opts.maxDocBytes,
      readBufferBytes: opts.readBufferBytes,
      drainConcurrency: opts.drainConcurrency,
      afterBatch: opts.afterBatch,
    });
  }

  start(): void {
    this.loop ??= this.runLoop();
  }

  status(): ListenerStatus {
    return { owner: this.lease.owner, leader: this.session !== undefined, ...this.session?.status() };
  }

  /** Stops following; the current page (if any) is committed or abandoned whole, never half. */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.session?.stop();
    await this.loop;
  }

  private async runLoop(): Promise<void> {
    const { logger } = this.opts;
    const signal = this.controller.signal;
    let failures = 0;
    let waitingLogged = false;
    while (!signal.aborted) {
      try {
        if (!(await this.lease.tryAcquire())) {
          if (!waitingLogged) logger.info({ holder: await this.lease.holder() }, 'another listener holds the lease; standing by');
          waitingLogged = true;
          await abortableSleep(Math.max(100, this.opts.leaseTtlMs / 3), signal);
          continue;
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'cannot reach Redis for the listener lease');
        await abortableSleep(backoffDelay(failures++), signal);
        continue;
      }
      waitingLogged = false;
      logger.info({ owner: this.lease.owner }, 'listener lease acquired; following numbers databases');
      const session = new FollowSession({ ...this.opts, drainer: this.drainer, lease: this.lease });
      this.session = session;
      const end = await session.run();
      await session.stop();
      this.session = undefined;
      if (end.reason === 'fatal') {
        logger.fatal({ err: end.error.message }, 'CouchDB refused the credentials or rights; stopping');
        this.opts.onFatal(end.error);
        break;
      }
      if (end.reason === 'stopped') break;
      if (end.reason === 'error') {
        logger.warn({ err: end.error.message }, 'listener could not start; retrying');
        await abortableSleep(backoffDelay(failures++), signal);
      } else {
        failures = 0;
        logger.warn({ reason: end.reason }, 'follow session ended; starting a new one');
      }
    }
    await this.lease.release().catch(() => undefined);
  }
}
