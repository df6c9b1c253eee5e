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
  metrics?: Metrics;
}

/**
 * Producer side of the one rebuild queue. Jobs are deduplicated per account with
 * keepLastIfActive: a burst yields at most one active and one waiting job per account, and
 * a request arriving while the account's job runs always schedules another run.
 */
export class RebuildQueue {
  readonly queue: Queue<RebuildJobData>;
  private readonly metrics: Metrics | undefined;

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
  }

  /** Requests a rebuild of each account (ids must already be validated). */
  async request(accountIds: Iterable<string>): Promise<void> {
    const jobs = [...new Set(accountIds)].map((accountId) => ({
      name: REBUILD_JOB_NAME,
      data: { accountId },
      opts: { deduplication: { id: accountId, keepLastIfActive: true } },
    }));
    for (let i = 0; i < jobs.length; i += 500) await this.queue.addBulk(jobs.slice(i, i + 500));
    this.metrics?.jobsEnqueued.inc(jobs.length);
  }

  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('active', 'waiting', 'delayed', 'failed', 'completed', 'prioritized', 'waiting-children');
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
