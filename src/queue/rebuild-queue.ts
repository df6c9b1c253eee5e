import { randomUUID } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Metrics } from '../metrics/metrics.js';

export const REBUILD_QUEUE_NAME = 'rebuild';
export const REBUILD_JOB_NAME = 'rebuild-account';

export interface RebuildJobData {
  accountId: string;
}

export interface RebuildQueueOptions {
  connection: ConnectionOptions;
  prefix: string;
  attempts: number;
  backoffMs: number;
  /** Delay of a new rebuild job: requests for the account within it are deduplicated into it. */
  coalesceMs?: number;
  metrics?: Metrics;
  /** Connection errors of the queue. Without a listener BullMQ prints them raw to stderr, with
   * the failing command's arguments (e.g. the AUTH password after a wrong one). */
  onError?: (err: Error) => void;
}

/**
 * Producer side of the one rebuild queue. Jobs are deduplicated per account with
 * keepLastIfActive: a burst yields at most one active and one waiting job per account, and
 * a request arriving while the account's job runs always schedules another run.
 */
export class RebuildQueue {
  readonly queue: Queue<RebuildJobData>;
  private readonly metrics: Metrics | undefined;
  private readonly coalesceMs: number;

  constructor(opts: RebuildQueueOptions) {
    this.metrics = opts.metrics;
    this.coalesceMs = opts.coalesceMs ?? 0;
    this.queue = new Queue<RebuildJobData>(REBUILD_QUEUE_NAME, {
      connection: opts.connection,
      prefix: opts.prefix,
      defaultJobOptions: {
        attempts: opts.attempts,
        backoff: { type: 'exponential', delay: opts.backoffMs, jitter: 0.5 },
        removeOnComplete: { count: 1000, age: 3600 },
        // Failed jobs stay for inspection (status, dashboard), bounded so they cannot fill Redis.
        removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
      },
    });
    this.queue.on('error', (err: Error) => opts.onError?.(err));
  }

  /**
   * Requests a rebuild of each account (ids must already be validated). Returns account ->
   * id of the job that will run it (an existing one when the request was deduplicated).
   */
  async request(accountIds: Iterable<string>): Promise<Map<string, string | undefined>> {
    // A fresh job id per request: BullMQ answers a deduplicated add with the existing job's id,
    // which is how deduplications are counted (exactly, and only for this process's requests).
    const jobs = [...new Set(accountIds)].map((accountId) => ({
      name: REBUILD_JOB_NAME,
      data: { accountId },
      // With a delay the job waits (deduplicating every request) before it runs; the follow-up job
      // created for a request made during a run is delayed too, so one account's rebuilds are at
      // least coalesceMs apart however fast its numbers change.
      opts: {
        jobId: `${accountId}-${randomUUID()}`,
        deduplication: { id: accountId, keepLastIfActive: true },
        ...(this.coalesceMs > 0 ? { delay: this.coalesceMs } : {}),
      },
    }));
    const ids = new Map<string, string | undefined>();
    for (let i = 0; i < jobs.length; i += 500) {
      const added = await this.queue.addBulk(jobs.slice(i, i + 500));
      added.forEach((job, j) => ids.set(jobs[i + j]!.data.accountId, job.id));
      this.metrics?.jobsDeduplicated.inc(added.filter((job, j) => job.id !== jobs[i + j]!.opts.jobId).length);
    }
    this.metrics?.jobsEnqueued.inc(jobs.length);
    return ids;
  }

  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('active', 'waiting', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
