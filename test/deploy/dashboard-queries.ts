import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './tools.js';

export const ALERTS_FILE = join(REPO, 'deploy/prometheus/alerts.yml');
export const DASHBOARD_FILE = join(REPO, 'deploy/grafana/numbers-sync.json');

/**
 * Metrics the rules and the dashboard use that another branch produces (the anti-entropy
 * sweep): checked when present, reported when not. Keep in sync with docs/deploy.md.
 */
export const PROVISIONAL_METRICS = new Set([
  'numbers_sync_sweep_last_completed_timestamp_seconds',
  'numbers_sync_sweep_duration_seconds_sum',
  'numbers_sync_sweep_duration_seconds_count',
  'numbers_sync_repairs_total',
]);

/** The `expr:` of every rule in alerts.yml (each written on one line). */
export function alertExpressions(text = readFileSync(ALERTS_FILE, 'utf8')): Array<{ alert: string; expr: string }> {
  const rules: Array<{ alert: string; expr: string }> = [];
  let alert = '';
  for (const line of text.split('\n')) {
    const name = /^\s*- alert:\s*(\S+)/.exec(line);
    if (name) alert = name[1]!;
    const expr = /^\s*expr:\s*(.+)$/.exec(line);
    if (expr) rules.push({ alert, expr: expr[1]!.trim() });
  }
  return rules;
}

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

/** Every PromQL query of the dashboard's panels, with its panel title. */
export function dashboardQueries(dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as { panels: Panel[] }): Array<{ panel: string; expr: string }> {
  const queries: Array<{ panel: string; expr: string }> = [];
  const visit = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) if (target.expr) queries.push({ panel: panel.title ?? panel.type, expr: target.expr });
      visit(panel.panels ?? []);
    }
  };
  visit(dashboard.panels);
  return queries;
}

/** The metric names a PromQL expression reads (our numbers_sync_* ones and Prometheus' `up`). */
export function metricNames(expr: string): string[] {
  const names = new Set(expr.match(/\bnumbers_sync_[a-z0-9_]+/g) ?? []);
  if (/\bup\{/.test(expr)) names.add('up');
  return [...names];
}

/** A dashboard query as Prometheus runs it: Grafana's variables replaced. */
export function concreteQuery(expr: string, job: string): string {
  return expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', job);
}
