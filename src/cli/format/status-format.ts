// Pure rendering of `status`.
import type { StatusReport } from '../../status/collect-status.js';
import { compact } from './verify-format.js';

const QUEUE_ORDER = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'];

export function renderStatus(r: StatusReport, now = Date.now()): string {
  const lines: string[] = [];
  lines.push(`couch      ${r.couch}`);
  lines.push(`redis      ${r.redis}  (prefix ${r.prefix})`);
  const indexState = r.index.epoch === null ? 'missing (the listener will replay every database)' : r.index.ready ? 'ready' : 'replaying (rebuilds are held)';
  lines.push(`index      ${indexState}${r.index.epoch ? `  epoch ${r.index.epoch}` : ''}`);
  lines.push(
    `listener   ${r.listener.holder === null ? 'no lease holder (no listener running)' : `lease held by ${r.listener.holder}${r.listener.ttlMs !== null ? ` (expires in ${(r.listener.ttlMs / 1000).toFixed(1)} s unless renewed)` : ''}`}`,
  );
  const counts = orderedCounts(r.queue)
    .map(([k, v]) => `${k} ${v}`)
    .join('  ');
  lines.push(`queue      ${counts}`);
  lines.push(`workers    ${r.workers === null ? 'unknown (CLIENT LIST not allowed)' : r.workers}`);
  lines.push(`outbox     ${r.outbox} account(s) marked dirty, not yet enqueued`);
  lines.push(`missing    ${r.missingAccounts} account(s) skipped: their database does not exist`);
  lines.push('');
  const totalLag = r.databases.reduce((sum, d) => sum + (d.lag ?? 0), 0);
  lines.push(`numbers databases: ${r.databases.length}, changes not yet indexed: ${totalLag}`);
  if (r.databases.length > 0) {
    lines.push(
      ...table(
        ['DATABASE', 'CHECKPOINT', 'LAG'],
        r.databases.map((d) => [
          d.db,
          d.checkpoint === null ? '-' : compact(d.checkpoint, 40),
          d.error ? `? (${d.error})` : !d.exists ? 'deleted' : String(d.lag),
        ]),
      ),
    );
  }
  if (r.failed.length > 0) {
    lines.push('', `failed jobs (newest first, at most ${r.failed.length} shown):`);
    lines.push(
      ...table(
        ['JOB', 'ACCOUNT', 'ATTEMPTS', 'FAILED', 'REASON'],
        r.failed.map((j) => [
          j.id ?? '?',
          j.accountId ?? '?',
          String(j.attemptsMade),
          j.finishedOn ? ago(now - j.finishedOn) : '?',
          j.failedReason.replace(/\s+/g, ' ').slice(0, 120),
        ]),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}

function orderedCounts(counts: Record<string, number>): Array<[string, number]> {
  const known = QUEUE_ORDER.filter((k) => k in counts).map((k): [string, number] => [k, counts[k]!]);
  const rest = Object.entries(counts).filter(([k]) => !QUEUE_ORDER.includes(k));
  return [...known, ...rest];
}

/** Left-aligned columns, two spaces apart, indented by two. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`;
  return [line(header), ...rows.map(line)];
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s ago`;
  if (s < 7200) return `${Math.round(s / 60)}m ago`;
  if (s < 172800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
