// Pure rendering of rebuild / reconcile results.
import type { RebuildResult } from '../../queue/rebuild-waiter.js';
import { plural } from './verify-format.js';

export interface RebuildTally {
  written: number;
  unchanged: number;
  skipped_missing_db: number;
  failed: number;
  pending: number;
  unknown: number;
}

export function tally(results: readonly RebuildResult[]): RebuildTally {
  const t: RebuildTally = { written: 0, unchanged: 0, skipped_missing_db: 0, failed: 0, pending: 0, unknown: 0 };
  for (const r of results) {
    if (r.state === 'completed' && r.outcome && r.outcome in t) t[r.outcome]++;
    else if (r.state === 'completed') t.unknown++;
    else t[r.state]++;
  }
  return t;
}

export function describeResult(r: RebuildResult): string {
  const job = r.jobId ? `job ${r.jobId}` : 'no job id';
  switch (r.state) {
    case 'completed':
      return r.outcome === 'skipped_missing_db' ? `skipped: the account database does not exist (${job})` : `${r.outcome ?? 'done'} (${job})`;
    case 'failed':
      return `failed after ${plural(r.attemptsMade ?? 0, 'attempt')}: ${r.failedReason ?? 'unknown reason'} (${job})`;
    case 'pending':
      return `not finished when the wait timed out (${job})`;
    case 'unknown':
      return `finished; outcome no longer recorded (${job})`;
  }
}

/** One line per account (for a handful of accounts) plus the tally line. */
export function renderRebuildResults(label: string, results: readonly RebuildResult[], show: (r: RebuildResult) => boolean = () => true): string {
  const lines = results.filter(show).map((r) => `${r.accountId}  ${describeResult(r)}`);
  lines.push(tallyLine(label, results));
  return `${lines.join('\n')}\n`;
}

/** For large runs: only the accounts that need attention get their own line. */
export const needsAttention = (r: RebuildResult): boolean => r.state === 'failed' || r.state === 'pending';

export function tallyLine(label: string, results: readonly RebuildResult[]): string {
  const t = tally(results);
  const parts = [`${t.written} written`, `${t.unchanged} unchanged`, `${t.skipped_missing_db} skipped (no database)`, `${t.failed} failed`];
  if (t.pending > 0) parts.push(`${t.pending} still pending`);
  if (t.unknown > 0) parts.push(`${t.unknown} finished (outcome no longer recorded)`);
  return `${label}: ${plural(results.length, 'account')}: ${parts.join(', ')}`;
}

/** Exit status of a wait: 0 only when every rebuild completed. */
export function waitExitCode(results: readonly RebuildResult[]): number {
  return results.every((r) => r.state === 'completed' || r.state === 'unknown') ? 0 : 1;
}
