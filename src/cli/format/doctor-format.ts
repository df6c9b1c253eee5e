import type { CheckResult, CheckStatus } from '../../doctor/verdicts.js';
import { exitCodeOf } from '../../doctor/verdicts.js';

export interface DoctorReport {
  couch: string;
  redis: string;
  /** 0 all ok, 1 a warning, 2 a failure. */
  exitCode: 0 | 1 | 2;
  summary: Record<CheckStatus, number>;
  checks: CheckResult[];
}

export function doctorReport(couch: string, redis: string, checks: CheckResult[]): DoctorReport {
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const c of checks) summary[c.status]++;
  return { couch, redis, exitCode: exitCodeOf(checks), summary, checks };
}

/** One line per check: status, check id, what was found (and why it matters). */
export function renderDoctor(r: DoctorReport): string {
  const width = Math.max(...r.checks.map((c) => c.check.length));
  const lines = r.checks.map((c) => `${c.status.padEnd(4)}  ${c.check.padEnd(width)}  ${c.message}`);
  const s = r.summary;
  lines.push(`doctor: ${r.checks.length} checks: ${s.ok} ok, ${s.warn} warn, ${s.fail} fail, ${s.skip} skipped (couch ${r.couch}, redis ${r.redis})`);
  return `${lines.join('\n')}\n`;
}
