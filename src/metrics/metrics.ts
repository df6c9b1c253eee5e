import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * All Prometheus metrics of one daemon instance, on its own registry (no global state, so
 * several instances can live in one test process).
 */
export class Metrics {
  readonly registry = new Registry();

  readonly changesProcessed = new Counter({
    name: 'numbers_sync_changes_processed_total',
    help: 'Number doc changes read from _changes and applied to the index',
    labelNames: ['db'] as const,
    registers: [this.registry],
  });
  readonly invalidDocs = new Counter({
    name: 'numbers_sync_invalid_docs_total',
    help: 'Number docs skipped or sanitised, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly jobsEnqueued = new Counter({
    name: 'numbers_sync_jobs_enqueued_total',
    help: 'Rebuild jobs requested (before deduplication)',
    registers: [this.registry],
  });
  readonly jobsDeduplicated = new Counter({
    name: 'numbers_sync_jobs_deduplicated_total',
    help: 'Rebuild requests folded into an existing job of the same account (a waiting one, or the single follow-up of an active one)',
    registers: [this.registry],
  });
  readonly jobsCompleted = new Counter({
    name: 'numbers_sync_jobs_completed_total',
    help: 'Rebuild jobs completed, by outcome (written, unchanged, skipped_missing_db)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly jobsFailed = new Counter({
    name: 'numbers_sync_jobs_failed_total',
    help: 'Rebuild job attempts that failed',
    registers: [this.registry],
  });
  readonly conflictRetries = new Counter({
    name: 'numbers_sync_conflict_retries_total',
    help: 'Account doc writes retried after a 409 conflict',
    registers: [this.registry],
  });
  readonly conflictsRemoved = new Counter({
    name: 'numbers_sync_conflicts_removed_total',
    help: 'Losing conflict revisions of account docs deleted after writing on the winner',
    registers: [this.registry],
  });
  readonly docCacheRejected = new Counter({
    name: 'numbers_sync_doc_cache_rejected_total',
    help: 'Cached account docs not used because their authentication failed (forged, other_key, malformed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly rebuildsPostponed = new Counter({
    name: 'numbers_sync_rebuilds_postponed_total',
    help: 'Rebuild runs postponed without using an attempt because CouchDB was unavailable',
    registers: [this.registry],
  });
  readonly failedJobsRetried = new Counter({
    name: 'numbers_sync_failed_jobs_retried_total',
    help: 'Failed rebuild jobs whose account was requested again by the failed-job retrier',
    registers: [this.registry],
  });
  readonly rebuildDuration = new Histogram({
    name: 'numbers_sync_rebuild_duration_seconds',
    help: 'Time to rebuild one account document',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly feedErrors = new Counter({
    name: 'numbers_sync_feed_errors_total',
    help: 'CouchDB feed / drain errors, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly dbLag = new Gauge({
    name: 'numbers_sync_db_lag_changes',
    help: 'Changes pending in a numbers database after the last drain',
    labelNames: ['db'] as const,
    registers: [this.registry],
  });
  readonly followedDbs = new Gauge({
    name: 'numbers_sync_followed_databases',
    help: 'Numbers databases followed',
    registers: [this.registry],
  });
  readonly liveFeeds = new Gauge({
    name: 'numbers_sync_live_feeds',
    help: 'Live _changes feeds open on recently changed numbers databases',
    registers: [this.registry],
  });
  readonly rescanDbs = new Counter({
    name: 'numbers_sync_rescan_databases_total',
    help: 'Numbers databases seen by rescans, by outcome (drained: changed or state unknown; skipped: unchanged since drained)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'numbers_sync_queue_depth',
    help: 'Rebuild jobs by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly indexResets = new Counter({
    name: 'numbers_sync_index_resets_total',
    help: 'Times the Redis index was found missing and rebuilt from since=0',
    registers: [this.registry],
  });
  // Refreshed on every scrape (src/http/metrics-refresh.ts), not on events.
  readonly listenerLeader = new Gauge({
    name: 'numbers_sync_listener_leader',
    help: '1 while this process holds the listener lease and follows the feeds',
    registers: [this.registry],
  });
  readonly listenerLastPoll = new Gauge({
    name: 'numbers_sync_listener_last_poll_timestamp_seconds',
    help: 'Unix time of the last completed CouchDB poll (_db_updates, drain or rescan) of the leading listener',
    registers: [this.registry],
  });
  readonly outboxAccounts = new Gauge({
    name: 'numbers_sync_outbox_accounts',
    help: 'Accounts marked dirty in the outbox and not yet handed to the queue',
    registers: [this.registry],
  });
  readonly missingAccounts = new Gauge({
    name: 'numbers_sync_missing_accounts',
    help: 'Accounts skipped because their account database does not exist',
    registers: [this.registry],
  });

  // Readiness and the scheduled drift audit, set right before a scrape (src/status/state-metrics.ts).
  readonly workerReady = new Gauge({
    name: 'numbers_sync_worker_ready',
    help: '1 while this process runs a rebuild worker that is connected to Redis (0 in a listen-only process)',
    registers: [this.registry],
  });
  readonly indexReady = new Gauge({
    name: 'numbers_sync_index_ready',
    help: '1 when the Redis index is complete; 0 while it is replayed from the numbers databases (rebuilds held)',
    registers: [this.registry],
  });
  readonly driftAccounts = new Gauge({
    name: 'numbers_sync_drift_accounts',
    help: 'Account docs that differed from the numbers databases in both passes of the last scheduled drift audit',
    registers: [this.registry],
  });
  readonly lastAudit = new Gauge({
    name: 'numbers_sync_last_audit_timestamp_seconds',
    help: 'Unix time the last scheduled drift audit completed (0: none yet)',
    registers: [this.registry],
  });
  readonly lastAuditDuration = new Gauge({
    name: 'numbers_sync_last_audit_duration_seconds',
    help: 'Duration of the last scheduled drift audit, both passes',
    registers: [this.registry],
  });
  // Anti-entropy (src/sweep).
  readonly repairs = new Counter({
    name: 'numbers_sync_repairs_total',
    help: 'Index entries and account docs found wrong and repaired by a reindex or the anti-entropy sweep, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly sweepLastCompleted = new Gauge({
    name: 'numbers_sync_sweep_last_completed_timestamp_seconds',
    help: 'Unix time the anti-entropy sweep last completed the reindex of a numbers database',
    labelNames: ['db'] as const,
    registers: [this.registry],
  });
  readonly sweepDuration = new Histogram({
    name: 'numbers_sync_sweep_duration_seconds',
    help: 'Duration of one complete anti-entropy sweep (every numbers database and account doc)',
    buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200],
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'numbers_sync_' });
  }
}
