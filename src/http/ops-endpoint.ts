import type { Daemon } from '../daemon.js';
import type { Logger } from '../log/logger.js';
import { refreshScrapedMetrics } from './metrics-refresh.js';
import { refreshStateMetrics } from '../status/state-metrics.js';
import { OpsServer } from './ops-server.js';
import { withQueueState, type ListenerTiming } from './readiness.js';
import { probeReadiness } from './readiness-probe.js';
import { withTimeout } from './with-timeout.js';

export interface OpsEndpointOptions {
  daemon: Daemon;
  logger: Logger;
  host: string;
  port: number;
  timing: ListenerTiming;
  /** Both set: the queue dashboard is served at /dashboard behind basic auth. */
  dashboardUser?: string;
  dashboardPassword?: string;
  /** The dashboard may change the queue; read-only otherwise. */
  dashboardWritable?: boolean;
}

export interface OpsEndpoint {
  url: string;
  /** From now on /readyz answers 503 (shutdown in progress). */
  markStopping(): void;
  stop(): Promise<void>;
}

/** Wires the ops HTTP endpoint to one daemon process and starts listening. */
export async function startOpsEndpoint(opts: OpsEndpointOptions): Promise<OpsEndpoint> {
  const { daemon, logger } = opts;
  let stopping = false;
  // Loaded only when enabled: bull-board brings express and its UI along.
  const dashboard =
    opts.dashboardUser && opts.dashboardPassword
      ? (await import('./dashboard.js')).createDashboard(daemon.queue.queue, {
          credentials: { user: opts.dashboardUser, password: opts.dashboardPassword },
          writable: opts.dashboardWritable ?? false,
          logger,
        })
      : undefined;
  const server = new OpsServer({
    host: opts.host,
    port: opts.port,
    logger,
    dashboard,
    readiness: async () => {
      const [readiness, paused] = await Promise.all([
        probeReadiness({
          couch: daemon.couch,
          redis: daemon.redis,
          listener: daemon.listener,
          worker: daemon.worker,
          timing: opts.timing,
          stopping: () => stopping,
        }),
        // Unknown when Redis does not answer: the redis check already says so.
        daemon.redis.status === 'ready' ? withTimeout(daemon.queue.queue.isPaused(), 2000, 'queue paused').catch(() => undefined) : undefined,
      ]);
      return withQueueState(readiness, { paused });
    },
    metrics: async () => {
      await Promise.all([
        refreshScrapedMetrics({
          metrics: daemon.metrics,
          queue: daemon.queue,
          redis: daemon.redis,
          keys: daemon.index.keys,
          listener: daemon.listener,
          logger,
        }),
        refreshStateMetrics({ metrics: daemon.metrics, redis: daemon.redis, index: daemon.index, audit: daemon.auditRecord, worker: daemon.worker }),
      ]);
      return { contentType: daemon.metrics.registry.contentType, body: await daemon.metrics.registry.metrics() };
    },
  });
  const url = await server.start();
  logger.info({ url, dashboard: dashboard ? `${url}/dashboard` : undefined }, 'ops endpoint listening');
  return {
    url,
    markStopping: () => (stopping = true),
    stop: () => server.stop(),
  };
}
