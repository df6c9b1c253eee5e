import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import { RebuildOutbox } from '../queue/outbox.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { settleWithin } from '../http/with-timeout.js';
import { repeatEvery } from '../util/repeat-every.js';
import { DbDrainer } from './db-drainer.js';
import { NumbersPolicy, type SessionStatus } from './numbers-policy.js';
import { ListenerLease } from './lease.js';

export interface ListenerOptions {
  redis: Redis;
  couch: CouchClient;
  index: NumberIndex;
  queue: RebuildQueue;
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
  sweepIntervalMs?: number;
  sweepMaxReadsPerS?: number;
  /** Called once when CouchDB refuses our credentials: the daemon must stop. */
  onFatal: (err: Error) => void;
  /** Test hooks: after each committed batch; around each index commit. */
  afterBatch?: (db: string, rows: number) => Promise<void> | void;
  beforeCommit?: (db: string) => Promise<void> | void;
  afterCommit?: (db: string) => Promise<void> | void;
}

export interface ListenerStatus extends Partial<SessionStatus> {
  owner: string;
  leader: boolean;
}

/** What one lease tenure writes with: its own owner id, and an index, outbox and drainer fenced by it. */
interface Tenure {
  lease: ListenerLease;
  index: NumberIndex;
  outbox: RebuildOutbox;
  drainer: DbDrainer;
}

/**
 * Competes for the listener lease and, while holding it, runs follow sessions back to back:
 * a session that loses the lease or finds the index gone is replaced by a fresh one. Each
 * tenure has its own owner id and writes to the index only through a view fenced by it, so a
 * write that arrives after the lease moved on (a stalled process, a command ioredis re-sends
 * after a reconnect, a page of an earlier session of this process) is refused by Redis.
 */
export class Listener {
  /** This process's listener id; each tenure's owner id extends it. */
  readonly id = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private tenure: Tenure;
  private tenures = 0;
  private readonly controller = new AbortController();
  private session: NumbersPolicy | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: ListenerOptions) {
    this.tenure = this.newTenure();
  }

  get lease(): ListenerLease {
    return this.tenure.lease;
  }

  private newTenure(): Tenure {
    const { opts } = this;
    const owner = `${this.id}#${++this.tenures}`;
    const lease = new ListenerLease(opts.redis, opts.index.keys.listenerLease, owner, opts.leaseTtlMs);
    const index = opts.index.fencedBy({ owner, beforeCommit: opts.beforeCommit, afterCommit: opts.afterCommit });
    const outbox = new RebuildOutbox(index, opts.queue, opts.logger);
    const drainer = new DbDrainer({
      couch: opts.couch,
      index,
      outbox,
      logger: opts.logger,
      metrics: opts.metrics,
      batchSize: opts.batchSize,
      maxDocBytes: opts.maxDocBytes,
      readBufferBytes: opts.readBufferBytes,
      drainConcurrency: opts.drainConcurrency,
      afterBatch: opts.afterBatch,
    });
    return { lease, index, outbox, drainer };
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

  /**
   * Ends a session's drains and timers. Bounded: a drain stuck on a hung Redis connection may
   * outlive it, harmlessly, since its writes are fenced by an owner id no later tenure uses.
   */
  private async retire(session: NumbersPolicy, tenure: Tenure): Promise<void> {
    tenure.outbox.stop();
    await settleWithin(session.stop(), this.opts.leaseTtlMs);
    await tenure.lease.release().catch(() => undefined);
  }

  /**
   * Renews the lease every TTL/3 while `session` runs; each renewal times out (ListenerLease),
   * so a hung connection cannot keep the session alive: once no renewal succeeded for a TTL
   * the session ends.
   */
  private keepLease(lease: ListenerLease, session: NumbersPolicy): void {
    const { logger } = this.opts;
    let lastRenewed = Date.now();
    const renew = async (): Promise<void> => {
      try {
        if (await lease.renew()) lastRenewed = Date.now();
        else session.leaseLost();
      } catch (err) {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not renew the listener lease');
        if (Date.now() - lastRenewed >= lease.ttlMs) session.leaseLost();
      }
    };
    // `renew` handles its own failures: nothing reaches the error callback.
    repeatEvery(Math.max(100, Math.floor(lease.ttlMs / 3)), session.signal, renew, () => undefined);
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
      const tenure = this.tenure;
      const session = new NumbersPolicy({ ...this.opts, ...tenure });
      this.session = session;
      this.keepLease(tenure.lease, session);
      const end = await session.run();
      await this.retire(session, tenure);
      this.tenure = this.newTenure();
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
