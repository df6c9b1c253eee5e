// What a scenario reports, and the table printed at the end (pure).

export interface ResultRow {
  metric: string;
  /** Our figure. */
  value: number;
  unit: string;
  /** The baseline measured in the same run, when the metric has one. */
  baseline?: number;
  baselineLabel?: string;
  /** value / baseline or baseline / value, as named by ratioLabel. */
  ratio?: number;
  ratioLabel?: string;
  /** Human-readable target, e.g. "<= 2x". */
  target?: string;
  ok?: boolean;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  rows: ResultRow[];
  /** Raw figures and parameters, kept in the JSON. */
  details: Record<string, unknown>;
  durationMs: number;
}

export interface BenchReport {
  startedAt: string;
  command: string;
  machine: { cpus: number; model: string; memoryMb: number; node: string; platform: string; loadAverage: number[] };
  couch: string;
  redis: string;
  options: Record<string, unknown>;
  results: ScenarioResult[];
}

function fmt(n: number | undefined, unit = ''): string {
  if (n === undefined) return '';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const s = abs >= 100 ? n.toFixed(0) : abs >= 10 ? n.toFixed(1) : n.toFixed(2);
  return unit ? `${s} ${unit}` : s;
}

/** A plain-text table, one line per metric. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'metric', 'ours', 'baseline', 'ratio', 'target', 'ok'];
  const rows: string[][] = [];
  for (const r of results) {
    for (const row of r.rows) {
      rows.push([
        r.scenario,
        row.metric,
        fmt(row.value, row.unit),
        row.baseline === undefined ? '' : `${fmt(row.baseline, row.unit)}${row.baselineLabel ? ` (${row.baselineLabel})` : ''}`,
        row.ratio === undefined ? '' : `${fmt(row.ratio)}x${row.ratioLabel ? ` ${row.ratioLabel}` : ''}`,
        row.target ?? '',
        row.ok === undefined ? '' : row.ok ? 'yes' : 'NO',
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
