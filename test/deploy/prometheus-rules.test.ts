import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { REPO, run, which } from './tools.js';
import { alertExpressions, dashboardQueries, metricNames, DASHBOARD_FILE } from './dashboard-queries.js';
import { readFileSync } from 'node:fs';

const promtool = which('promtool');
const skipped = promtool ? '' : ' (skipped: promtool is not installed; apt-get install prometheus)';
const DIR = join(REPO, 'deploy/prometheus');

describe('Prometheus alerting rules (deploy/prometheus)', () => {
  it.skipIf(!promtool)(`pass promtool check rules${skipped}`, async () => {
    const result = await run(promtool!, ['check', 'rules', 'alerts.yml'], { cwd: DIR });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!promtool)(`pass their unit tests, promtool test rules alerts.test.yml${skipped}`, async () => {
    const result = await run(promtool!, ['test', 'rules', 'alerts.test.yml'], { cwd: DIR });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });

  it.skipIf(!promtool)(`come with an example config that promtool accepts${skipped}`, async () => {
    const result = await run(promtool!, ['check', 'config', 'prometheus.example.yml'], { cwd: DIR });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('cover the alerts of the operators kit, each unit-tested firing', () => {
    const alerts = alertExpressions().map((r) => r.alert);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'NumbersSyncDriftFound',
        'NumbersSyncLagHigh',
        'NumbersSyncJobsFailed',
        'NumbersSyncNoListener',
        'NumbersSyncNoWorkerReady',
        'NumbersSyncIndexNotReady',
        'NumbersSyncSweepOverdue',
      ]),
    );
    const tests = readFileSync(join(DIR, 'alerts.test.yml'), 'utf8');
    for (const alert of alerts) expect(tests, alert).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
  });
});

describe('Grafana dashboard (deploy/grafana/numbers-sync.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    uid: string;
    panels: Array<{ id: number; type: string; datasource?: { uid: string } }>;
    templating: { list: Array<{ name: string }> };
  };

  it('has the panels operators asked for', () => {
    const used = new Set(dashboardQueries().flatMap((q) => metricNames(q.expr)));
    for (const name of [
      'numbers_sync_db_lag_changes',
      'numbers_sync_jobs_completed_total',
      'numbers_sync_rebuild_duration_seconds_bucket',
      'numbers_sync_queue_depth',
      'numbers_sync_invalid_docs_total',
      'numbers_sync_conflict_retries_total',
    ]) {
      expect(used, name).toContain(name);
    }
  });

  it('is importable: unique panel ids, a data source variable used by every panel', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'job']));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana template variable, not a JS template
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) expect(panel.datasource?.uid).toBe('${datasource}');
    for (const { panel, expr } of dashboardQueries()) expect(expr, panel).toContain('job=~"$job"');
  });
});
