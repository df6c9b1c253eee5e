import type { Logger } from '../log/logger.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { confirmedDrift, nextAuditAt, type AuditRecord, type AuditRecordStore } from './audit-record.js';
import type { VerifyOutcome } from './verify-child.js';
import type { RedisTarget } from '../redis/connection.js';

export interface ScheduledAuditOptions {
  /** NUMBERS_SYNC_AUDIT_INTERVAL_MS (> 0). */
  intervalMs: number;
  /** Pause before the second pass that confirms a drift. */
  confirmDelayMs: number;
  /** Only the listener lease holder audits (one audit per deployment). */
  isLeader: () => boolean;
  /** No audit during an index replay: account docs are being rewritten wholesale then. */
  indexReady: () => Promise<boolean>;
  store: AuditRecordStore;
  /** One full audit pass (runVerifyChild in the daemon). */
  verify: (signal: AbortSignal) => Promise<VerifyOutcome>;
  logger: Logger;
}

const MAX_TICK_MS = 60_000;
const MAX_RETRY_MS = 10 * 60_000;

/**
 * Runs the drift audit (`verify`) every intervalMs in the listener lease holder and records the
 * result in Redis, where every process's /metrics reads it (numbers_sync_drift_accounts,
 * numbers_sync_last_audit_timestamp_seconds): drift alerts need no cron. Drift counts only when
 * a second pass, confirmDelayMs later, still sees it.
 */
export class ScheduledAudit {
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  private retryAt = 0;

  constructor(private readonly opts: ScheduledAuditOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the schedule; an audit under way is aborted (its child process killed). */
  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { signal } = this.controller;
    const since = Date.now();
    while (!signal.aborted) {
      await abortableSleep(Math.min(this.opts.intervalMs, MAX_TICK_MS), signal);
      if (signal.aborted) return;
      try {
        if (await this.due(since)) await this.auditOnce();
      } catch (err) {
        if (signal.aborted) return;
        this.retryAt = Date.now() + Math.min(this.opts.intervalMs, MAX_RETRY_MS);
        this.opts.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'drift audit failed; retrying later');
      }
    }
  }

  private async due(since: number): Promise<boolean> {
    if (!this.opts.isLeader() || Date.now() < this.retryAt || !(await this.opts.indexReady())) return false;
    return Date.now() >= nextAuditAt(await this.opts.store.read(), since, this.opts.intervalMs);
  }

  /** Both passes, then the record. */
  private async auditOnce(): Promise<AuditRecord> {
    const { signal } = this.controller;
    const started = Date.now();
    const first = await this.opts.verify(signal);
    let drifted: string[] = [];
    if (first.drifted.length > 0) {
      await abortableSleep(this.opts.confirmDelayMs, signal);
      if (signal.aborted) throw new Error('stopped');
      drifted = confirmedDrift(first.drifted, (await this.opts.verify(signal)).drifted);
    }
    const record: AuditRecord = { at: Date.now(), driftAccounts: drifted.length, checked: first.checked, durationMs: Date.now() - started };
    await this.opts.store.write(record);
    const fields = { checked: record.checked, drift: record.driftAccounts, firstPass: first.drifted.length, ms: record.durationMs };
    if (drifted.length > 0)
      this.opts.logger.warn(
        { ...fields, accounts: drifted.slice(0, 20) },
        'drift audit: account docs differ from the numbers databases (numbers-sync verify shows them)',
      );
    else this.opts.logger.info(fields, 'drift audit: no drift');
    return record;
  }
}

/** The parts of a daemon process the schedule needs (see Daemon). */
export interface AuditHost {
  settings: RedisTarget & { couchUrl: string; prefix: string; auditIntervalMs?: number };
  listener?: { status(): { leader: boolean } };
  index: { isReady(): Promise<boolean> };
  store: AuditRecordStore;
  logger: Logger;
}

/** The drift audit schedule of a process that runs the listener, unless the interval is 0/unset. */
export function scheduledAuditFor(
  host: AuditHost,
  verify: (opts: RedisTarget & { couchUrl: string; prefix: string; signal: AbortSignal }) => Promise<VerifyOutcome>,
): ScheduledAudit | undefined {
  const { settings, listener } = host;
  if (!listener || !settings.auditIntervalMs) return undefined;
  return new ScheduledAudit({
    intervalMs: settings.auditIntervalMs,
    confirmDelayMs: Math.min(30_000, Math.round(settings.auditIntervalMs / 4)),
    isLeader: () => listener.status().leader,
    indexReady: () => host.index.isReady(),
    store: host.store,
    verify: (signal) =>
      verify({
        couchUrl: settings.couchUrl,
        redisUrl: settings.redisUrl,
        ...(settings.redisSentinel ? { redisSentinel: settings.redisSentinel, redisPassword: settings.redisPassword } : {}),
        prefix: settings.prefix,
        signal,
      }),
    logger: host.logger,
  });
}
