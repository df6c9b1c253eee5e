// Reads the daemon's rebuild queue from the outside: how much work is left, pause/resume.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Queue } from 'bullmq';
import { REBUILD_QUEUE_NAME } from '../../src/queue/rebuild-queue.js';
import { quantiles, type Quantiles } from './stats.js';

export class QueueProbe {
  readonly redis: Redis;
  readonly queue: Queue;

  constructor(redisUrl: string, prefix: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    this.queue = new Queue(REBUILD_QUEUE_NAME, { connection: this.redis, prefix });
  }

  /** Jobs not finished yet (waiting, active, delayed, prioritized; paused jobs count as waiting). */
  async pending(): Promise<number> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  /**
   * Where the time of recently finished rebuilds went, from BullMQ's own timestamps: created ->
   * started (coalescing delay plus queue wait) and started -> finished (the rebuild).
   */
  async recentJobTimings(): Promise<{ jobs: number; waitMs: Quantiles; runMs: Quantiles }> {
    const jobs = await this.queue.getJobs(['completed'], 0, 999);
    const wait = jobs.filter((j) => j.processedOn).map((j) => j.processedOn! - j.timestamp);
    const run = jobs.filter((j) => j.processedOn && j.finishedOn).map((j) => j.finishedOn! - j.processedOn!);
    return { jobs: jobs.length, waitMs: quantiles(wait), runMs: quantiles(run) };
  }

  /** The last finished rebuild jobs with BullMQ's timestamps (epoch ms). */
  async recentJobs(): Promise<Array<{ accountId: string; createdAt: number; startedAt: number; finishedAt: number }>> {
    const jobs = await this.queue.getJobs(['completed'], 0, 999);
    return jobs
      .filter((j) => j.processedOn && j.finishedOn)
      .map((j) => ({ accountId: (j.data as { accountId: string }).accountId, createdAt: j.timestamp, startedAt: j.processedOn!, finishedAt: j.finishedOn! }));
  }

  async failed(): Promise<number> {
    return (await this.queue.getJobCounts('failed')).failed ?? 0;
  }

  /** Resolves with performance.now() of the first poll that found the queue empty. */
  async waitEmpty(timeoutMs: number, intervalMs = 50): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ((await this.pending()) === 0) return performance.now();
      if (Date.now() > deadline) throw new Error(`rebuild queue not empty after ${timeoutMs} ms (${await this.pending()} jobs left)`);
      await sleep(intervalMs);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.redis.disconnect();
  }
}
