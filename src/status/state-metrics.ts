import type { Redis } from 'ioredis';
import type { RebuildWorker } from '../../workers/rebuild-worker.js';
import type { NumberIndex } from '../index/number-index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AuditRecordStore } from '../audit/audit-record.js';
import { withTimeout } from '../http/with-timeout.js';

export interface StateMetricsOptions {
  metrics: Metrics;
  redis: Redis;
  index: NumberIndex;
  audit: AuditRecordStore;
  worker?: RebuildWorker;
  timeoutMs?: number;
}

/**
 * Sets the gauges the alert rules need for "no worker ready", "index not ready" and "drift
 * found", right before a scrape. What Redis does not answer in time keeps its previous value.
 */
export async function refreshStateMetrics(opts: StateMetricsOptions): Promise<void> {
  const { metrics, worker } = opts;
  const timeoutMs = opts.timeoutMs ?? 2000;
  const connection = worker ? await withTimeout(worker.blockingConnectionStatus(), timeoutMs, 'worker connection status').catch(() => 'unknown') : undefined;
  metrics.workerReady.set(worker?.isRunning() && connection === 'ready' ? 1 : 0);
  if (opts.redis.status !== 'ready') return;
  const [ready, record] = await Promise.allSettled([
    withTimeout(opts.index.isReady(), timeoutMs, 'index ready'),
    withTimeout(opts.audit.read(), timeoutMs, 'audit record'),
  ]);
  if (ready.status === 'fulfilled') metrics.indexReady.set(ready.value ? 1 : 0);
  if (record.status === 'fulfilled' && record.value) {
    metrics.driftAccounts.set(record.value.driftAccounts);
    metrics.lastAudit.set(record.value.at / 1000);
    metrics.lastAuditDuration.set(record.value.durationMs / 1000);
  }
}
