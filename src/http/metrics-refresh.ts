import type { Redis } from 'ioredis';
import type { IndexKeys } from '../index/keys.js';
import type { Listener } from '../listener/listener.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import { withTimeout } from './with-timeout.js';

export interface MetricsRefreshOptions {
  metrics: Metrics;
  queue: RebuildQueue;
  redis: Redis;
  keys: IndexKeys;
  listener?: Listener;
  logger: Logger;
  timeoutMs?: number;
}

/**
 * Sets the gauges that describe state rather than events (queue depth, outbox, missing
 * accounts, listener leadership) right before a scrape. When Redis does not answer in time
 * the previous values stay and the scrape still succeeds.
 */
export async function refreshScrapedMetrics(opts: MetricsRefreshOptions): Promise<void> {
  const { metrics, listener } = opts;
  const status = listener?.status();
  if (status) {
    metrics.listenerLeader.set(status.leader ? 1 : 0);
    if (status.lastPollAt) metrics.listenerLastPoll.set(status.lastPollAt / 1000);
  }
  if (opts.redis.status !== 'ready') return;
  try {
    await withTimeout(refreshFromRedis(opts), opts.timeoutMs ?? 2000, 'metrics refresh');
  } catch (err) {
    opts.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not refresh queue metrics for a scrape');
  }
}

async function refreshFromRedis({ metrics, queue, redis, keys }: MetricsRefreshOptions): Promise<void> {
  const [counts, replies] = await Promise.all([queue.counts(), redis.pipeline().hlen(keys.dirty).scard(keys.missingAccounts).exec()]);
  for (const [state, count] of Object.entries(counts)) metrics.queueDepth.set({ state }, count);
  const [outbox, missing] = (replies ?? []).map(([err, value]) => (err ? undefined : Number(value)));
  if (outbox !== undefined) metrics.outboxAccounts.set(outbox);
  if (missing !== undefined) metrics.missingAccounts.set(missing);
}
