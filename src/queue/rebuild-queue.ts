import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Metrics } from '../metrics/metrics.js';
import { CoalesceWindow } from './coalesce-window.js';

export const REBUILD_QUEUE_NAME = 'rebuild';
export const REBUILD_JOB_NAME = 'rebuild-account';

export interface RebuildJobData {
  accountId: string;
}

export interface RebuildQueueOptions {
  /** Shared with BullMQ's queue; also keeps each account's coalescing window. */
  connection: Redis;
  prefix: string;
  attempts: number;
  backoffMs: number;
  /**
   * Coalescing window: a rebuild requested for an account whose previous request is less than
   * this old is delayed by it (requests meanwhile are deduplicated into it); any other runs at once.
   */
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
  private readonly window: CoalesceWindow;

  constructor(opts: RebuildQueueOptions) {
    this.metrics = opts.metrics;
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
    this.window = new CoalesceWindow(opts.connection, opts.prefix, opts.coalesceMs ?? 0);
  }

  /**
   * Requests a rebuild of each account (ids must already be validated). Returns account ->
   * id of the job that will run it (an existing one when the request was deduplicated).
   */
  async request(accountIds: Iterable<string>): Promise<Map<string, string | undefined>> {
    // A fresh job id per request: BullMQ answers a deduplicated add with the existing job's id,
    // which is how deduplications are counted (exactly, and only for this process's requests).
    const accounts = [...new Set(accountIds)];
    const ids = new Map<string, string | undefined>();
    for (let i = 0; i < accounts.length; i += 500) {
      const chunk = accounts.slice(i, i + 500);
      // Only an account requested within the window waits it: an isolated change is rebuilt at
      // once, and a burst still coalesces (the follow-up job created for a request made during a
      // run is delayed too, so a busy account's rebuilds are at least the window apart).
      const recent = await this.window.markRequested(chunk);
      const jobs = chunk.map((accountId) => ({
        name: REBUILD_JOB_NAME,
        data: { accountId },
        opts: {
          jobId: `${accountId}-${randomUUID()}`,
          deduplication: { id: accountId, keepLastIfActive: true },
          ...(recent.has(accountId) ? { delay: this.window.windowMs } : {}),
        },
      }));
      const added = await this.queue.addBulk(jobs);
      for (const [j, job] of added.entries()) ids.set(jobs[j]!.data.accountId, job.id);
      this.metrics?.jobsDeduplicated.inc(added.filter((job, j) => job.id !== jobs[j]!.opts.jobId).length);
    }
    this.metrics?.jobsEnqueued.inc(accounts.length);
    return ids;
  }
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('active', 'waiting', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
