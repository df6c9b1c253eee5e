// Pure rendering of an audit result: readable text and the --json report.
import type { AuditResult } from '../../audit/audit-accounts.js';
import { summarize, type AccountFinding, type FindingSummary } from '../../audit/findings.js';
import { accountDbName } from '../../rules/index.js';

export interface VerifyReport {
  clean: boolean;
  checked: number;
  summary: FindingSummary;
  accounts: AccountFinding[];
  missingDatabases: string[];
  /** Accounts whose rebuild --fix requested. */
  rebuildsRequested?: string[];
}

export function verifyReport(result: AuditResult, rebuildsRequested?: string[]): VerifyReport {
  return {
    clean: result.findings.length === 0,
    checked: result.checked,
    summary: summarize(result.findings),
    accounts: result.findings,
    missingDatabases: result.missingDatabases,
    ...(rebuildsRequested ? { rebuildsRequested } : {}),
  };
}

export function renderVerify(report: VerifyReport): string {
  const lines: string[] = [];
  for (const finding of report.accounts) lines.push(...renderFinding(finding), '');
  if (report.missingDatabases.length > 0) {
    lines.push(`accounts without a database (not written until their database exists): ${report.missingDatabases.length}`);
    for (const id of report.missingDatabases) lines.push(`  ${id}`);
    lines.push('');
  }
  if (report.rebuildsRequested) {
    lines.push(`--fix: requested a rebuild of ${plural(report.rebuildsRequested.length, 'drifted account')}; the workers will rewrite them`);
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

export function summaryLine(report: VerifyReport): string {
  const head = `verify: ${plural(report.checked, 'account')} checked`;
  if (report.clean) return `${head}, no drift`;
  const s = report.summary;
  return `${head}, ${s.accounts} with drift: ${s.missing} missing, ${s.extra} extra, ${s.wrong} wrong, ${s.envelope} envelope`;
}

function renderFinding(f: AccountFinding): string[] {
  const lines = [`account ${f.accountId} (${accountDbName(f.accountId)})`];
  for (const m of f.missing) lines.push(`  missing   ${m.number}  expected ${compact(m.expected)}`);
  for (const e of f.extra) lines.push(`  extra     ${e.number}  actual   ${compact(e.actual)}`);
  for (const w of f.wrong) {
    lines.push(`  wrong     ${w.number}`);
    for (const field of w.fields) lines.push(`              ${field.field}: expected ${compact(field.expected)}, actual ${compact(field.actual)}`);
  }
  for (const e of f.envelope) lines.push(`  envelope  ${e.field}: expected ${compact(e.expected)}, actual ${compact(e.actual)}`);
  return lines;
}

/** One-line JSON, shortened: docs are written by anyone and may hold anything. */
export function compact(value: unknown, max = 240): string {
  if (value === undefined) return '(absent)';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}...` : text;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
