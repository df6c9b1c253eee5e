import type { Redis } from 'ioredis';
import { IndexKeys } from '../index/keys.js';

/** The outcome of the last scheduled drift audit, shared in Redis by every process of a deployment. */
export interface AuditRecord {
  /** Unix time (ms) the audit completed. */
  at: number;
  /** Accounts whose doc differed from the rules in both passes. */
  driftAccounts: number;
  /** Account docs compared. */
  checked: number;
  durationMs: number;
}

/**
 * Where the last audit is kept: in Redis, so every process exports the same values on
 * /metrics (max() across them is the truth) and a new lease holder keeps the schedule.
 */
export class AuditRecordStore {
  readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = new IndexKeys(prefix).auditLast;
  }

  async read(): Promise<AuditRecord | undefined> {
    return parseAuditRecord(await this.redis.get(this.key));
  }

  async write(record: AuditRecord): Promise<void> {
    await this.redis.set(this.key, JSON.stringify(record));
  }
}

/** Undefined for a missing or malformed value (then the next audit simply overwrites it). */
export function parseAuditRecord(json: string | null): AuditRecord | undefined {
  if (!json) return undefined;
  try {
    const value = JSON.parse(json) as Partial<AuditRecord>;
    const fields = [value.at, value.driftAccounts, value.checked, value.durationMs];
    return fields.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0) ? (value as AuditRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When the next audit is due: one interval after the last one, or, when none is recorded yet,
 * one interval after `since` (this process started watching), so a first start does not audit
 * account docs that the initial sync has not written yet.
 */
export function nextAuditAt(last: AuditRecord | undefined, since: number, intervalMs: number): number {
  return (last?.at ?? since) + intervalMs;
}

/**
 * Accounts drifted in both passes. The audit is a snapshot taken while the daemon works: an
 * account being rebuilt can look drifted once; one that still differs a while later is real.
 */
export function confirmedDrift(first: readonly string[], second: readonly string[]): string[] {
  const again = new Set(second);
  return first.filter((account) => again.has(account));
}
