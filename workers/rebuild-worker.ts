import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { REBUILD_QUEUE_NAME, type RebuildJobData } from '../src/queue/rebuild-queue.js';
import { type AccountRebuilder, IndexNotReadyError, InvalidAccountError, type RebuildOutcome } from '../src/rebuild/account-rebuilder.js';
import type { Logger } from '../src/log/logger.js';
import type { Metrics } from '../src/metrics/metrics.js';
import { mayBeCouchOutage, outageDelayMs } from '../src/rebuild/job-failure.js';

export interface RebuildWorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  concurrency: number;
  rebuilder: AccountRebuilder;
  logger: Logger;
  metrics?: Metrics;
  /** Delay before a job retries while the index is being replayed. */
  notReadyDelayMs?: number;
  /**
   * Tells a CouchDB outage from a failure of one account's requests. Without it every
   * failure counts as an attempt.
   */
  couchAvailability?: { isAvailable(): Promise<boolean> };
  /** First delay of a run postponed by an outage (then doubling, capped at 30 s). */
  outageBackoffMs?: number;
  autorun?: boolean;
}

/**
 * BullMQ consumer of the rebuild queue. Any number of these, in any number of processes or
 * machines, can share the queue: per-account deduplication keeps one account's rebuilds serial.
 */
export class RebuildWorker {
  readonly worker: Worker<RebuildJobData, RebuildOutcome>;

  constructor(private readonly opts: RebuildWorkerOptions) {
    this.worker = new Worker<RebuildJobData, RebuildOutcome>(REBUILD_QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
      autorun: opts.autorun ?? true,
      // A crashed worker's jobs are picked up again within ~10 s; deduplicated requests wait
      // behind the stalled job, so the lock must not be long.
      lockDuration: 10_000,
      stalledInterval: 5_000,
      // Stalls come from crashed processes, not from the job: never fail a rebuild for them.
      maxStalledCount: 1_000,
    });
    this.worker.on('failed', (job, err) => {
      opts.metrics?.jobsFailed.inc();
      opts.logger.warn({ account: job?.data.accountId, attempts: job?.attemptsMade, err: err.message }, 'rebuild failed');
    });
    this.worker.on('error', (err) => opts.logger.error({ err: err.message }, 'rebuild worker error'));
  }

  private async process(job: Job<RebuildJobData, RebuildOutcome>, token?: string): Promise<RebuildOutcome> {
    const { metrics } = this.opts;
    const stop = metrics?.rebuildDuration.startTimer();
    try {
      const outcome = await this.opts.rebuilder.rebuild(job.data.accountId);
      metrics?.jobsCompleted.inc({ outcome });
      return outcome;
    } catch (err) {
      if (err instanceof IndexNotReadyError && token) {
        // Waiting for the replay must not use up the job's attempts.
        await job.moveToDelayed(Date.now() + (this.opts.notReadyDelayMs ?? 1000), token);
        throw new DelayedError();
      }
      if (token && (await this.isCouchOutage(err))) {
        // CouchDB is down, not this job's account: wait for it without using up an attempt,
        // however long the outage lasts (attempts would otherwise all fail within seconds).
        const postponed = Math.max(0, job.attemptsStarted - job.attemptsMade - 1);
        const delayMs = outageDelayMs(postponed, this.opts.outageBackoffMs ?? 1000);
        metrics?.rebuildsPostponed.inc();
        this.opts.logger.debug({ account: job.data.accountId, delayMs, err: (err as Error).message }, 'CouchDB unavailable; rebuild postponed');
        await job.moveToDelayed(Date.now() + delayMs, token);
        throw new DelayedError();
      }
      if (err instanceof InvalidAccountError) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      stop?.();
    }
  }

  private async isCouchOutage(err: unknown): Promise<boolean> {
    const probe = this.opts.couchAvailability;
    return probe !== undefined && mayBeCouchOutage(err) && !(await probe.isAvailable());
  }

  /** True while the worker is connected and taking jobs (used by /readyz). */
  isRunning(): boolean {
    return this.worker.isRunning() && !this.worker.isPaused();
  }

  /**
   * ioredis status of the dedicated connection the worker blocks on for new jobs: 'ready' when
   * it can receive them (BullMQ's own status stays 'ready' across reconnects, the client's does not).
   */
  async blockingConnectionStatus(): Promise<string> {
    const connection = this.worker.getBackend().blockingConnection;
    if (!connection) return 'none';
    if (connection.status !== 'ready') return connection.status;
    return (await connection.client).status;
  }

  close(force = false): Promise<void> {
    return this.worker.close(force);
  }
}
