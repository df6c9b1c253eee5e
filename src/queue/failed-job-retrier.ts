import { isRetryableFailedJob } from '../rebuild/job-failure.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RebuildQueue } from './rebuild-queue.js';

export interface FailedJobRetrierOptions {
  queue: RebuildQueue;
  intervalMs: number;
  /** A round is skipped while CouchDB does not answer: the jobs would only fail again. */
  isCouchAvailable: () => Promise<boolean>;
  logger: Logger;
  metrics?: Metrics;
}

/** Failed jobs handled per round; the rest wait for the next one. */
const ROUND_SIZE = 1000;

/**
 * Gives failed rebuilds another chance once their cause may be gone. A job lands in the failed
 * set after its attempts (a failing account database, Redis errors, repeated conflicts), and so
 * do the requests that were merged into it while it waited to retry. Every `intervalMs`, while
 * CouchDB answers, each failed job's account is requested again (a normal, deduplicated
 * request) and then the failed job is removed; a job with an invalid account id stays for
 * inspection. Several worker processes may run one each: the requests deduplicate.
 */
export class FailedJobRetrier {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: FailedJobRetrierOptions) {}

  start(): this {
    this.timer ??= setInterval(() => {
      this.running ??= this.retryOnce()
        .then(
          () => undefined,
          (err: Error) => this.opts.logger.warn({ err: err.message }, 'retrying failed rebuilds failed; next round later'),
        )
        .finally(() => (this.running = undefined));
    }, this.opts.intervalMs);
    this.timer.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round; returns the number of accounts requested again. */
  async retryOnce(): Promise<number> {
    const { queue, logger, metrics } = this.opts;
    if ((await queue.queue.getFailedCount()) === 0) return 0;
    if (!(await this.opts.isCouchAvailable())) return 0;
    const jobs = (await queue.queue.getFailed(0, ROUND_SIZE - 1)).filter((job) => isRetryableFailedJob(job.data));
    if (jobs.length === 0) return 0;
    // Request first, remove after: a crash in between only requests an account twice.
    await queue.request(jobs.map((job) => job.data.accountId));
    for (const job of jobs) await job.remove().catch(() => undefined);
    metrics?.failedJobsRetried.inc(jobs.length);
    logger.info({ jobs: jobs.length, accounts: new Set(jobs.map((j) => j.data.accountId)).size }, 'failed rebuilds requested again');
    return jobs.length;
  }
}
