import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { RealPrometheus } from './real-prometheus.js';
import { ALERTS_FILE, PROVISIONAL_METRICS, alertExpressions, concreteQuery, dashboardQueries, metricNames } from './dashboard-queries.js';
import { which } from './tools.js';

const JOB = 'numbers-sync';
const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const prometheusBinary = which('prometheus');

interface Rule {
  name: string;
  health: string;
  state: string;
  lastError?: string;
}

/**
 * A real Prometheus scrapes a running `numbers-sync run` and loads alerts.yml: every metric the
 * rules and the dashboard read must be in what it scraped, every dashboard query must run and
 * return data, and on this healthy daemon no alert may be pending or firing.
 */
describe.skipIf(!prometheusBinary)(
  `a real Prometheus scraping the daemon${prometheusBinary ? '' : ' (skipped: prometheus is not installed; apt-get install prometheus)'}`,
  () => {
    let couch: CouchHandle;
    let fx: CouchFixture;
    let daemon: ChildDaemon;
    let prometheus: RealPrometheus | undefined;

    beforeAll(async () => {
      ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: ['numbers/+1415'] }));
      daemon = new ChildDaemon(['run'], {
        COUCHDB_URL: couch.url,
        REDIS_URL: redisUrl(),
        NUMBERS_SYNC_PREFIX: uniquePrefix('prom'),
        NUMBERS_SYNC_HTTP_HOST: '127.0.0.1',
        NUMBERS_SYNC_FEED_TIMEOUT_MS: '1000',
      });
      const ops = await daemon.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint listening');
      await daemon.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'replay complete');
      // Events behind the labelled series: a change applied and rebuilt, an invalid doc skipped.
      await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A, pvt_created: 63871286400, pvt_modified: 63871286401 });
      await fx.putNumber({ _id: '+14155550199', pvt_state: 42, pvt_assigned_to: A });
      await waitFor(async () => (await fx.listed(A)).includes('+14155550100'), { what: 'A lists +14155550100' });
      prometheus = await RealPrometheus.start({ binary: prometheusBinary!, job: JOB, targets: [new URL(ops.url as string).host], ruleFiles: [ALERTS_FILE] });
    }, 120_000);

    afterAll(async () => {
      await prometheus?.stop();
      await daemon?.kill('SIGTERM');
      await couch?.stop();
    });

    /** Waits until Prometheus scraped the daemon at least `n` times more. */
    async function scrapes(n: number): Promise<void> {
      const count = async () =>
        Number(
          (await prometheus!.api<{ result: Array<{ value: [number, string] }> }>('/api/v1/query', { query: `count_over_time(up{job="${JOB}"}[1h])` })).result[0]
            ?.value[1] ?? 0,
        );
      const target = (await count()) + n;
      await waitFor(async () => (await count()) >= target, {
        what: `${n} scrapes; prometheus output: ${prometheus!.output.join('').slice(-2000)}`,
        timeoutMs: 30_000,
        intervalMs: 250,
      });
    }

    it('scrapes the daemon (target up)', async () => {
      await scrapes(2);
      const targets = await prometheus!.api<{ activeTargets: Array<{ health: string; lastError: string; labels: { job: string } }> }>('/api/v1/targets');
      expect(targets.activeTargets.map((t) => [t.labels.job, t.health, t.lastError])).toEqual([[JOB, 'up', '']]);
    });

    it('holds every metric the alert rules and the dashboard read (provisional ones reported)', async () => {
      await scrapes(2);
      const scraped = new Set(await prometheus!.api<string[]>('/api/v1/label/__name__/values'));
      const used = new Set([...alertExpressions(), ...dashboardQueries()].flatMap((q) => metricNames(q.expr)));
      const missing = [...used].filter((name) => !scraped.has(name)).sort();
      const provisionalMissing = missing.filter((name) => PROVISIONAL_METRICS.has(name));
      if (provisionalMissing.length > 0) console.info(`expected-provisional metrics not produced by this branch: ${provisionalMissing.join(', ')}`);
      expect(missing.filter((name) => !PROVISIONAL_METRICS.has(name))).toEqual([]);
      expect(used.size).toBeGreaterThan(20);
    });

    it('runs every dashboard query; each returns data unless it reads a provisional metric', async () => {
      await scrapes(3);
      const empty: string[] = [];
      for (const { panel, expr } of dashboardQueries()) {
        const data = await prometheus!.api<{ result: unknown[] }>('/api/v1/query', { query: concreteQuery(expr, JOB) });
        const provisional = metricNames(expr).some((name) => PROVISIONAL_METRICS.has(name));
        if (data.result.length === 0 && !provisional) empty.push(`${panel}: ${expr}`);
      }
      expect(empty).toEqual([]);
    });

    it('loads alerts.yml and evaluates every rule without error; nothing fires on a healthy daemon', async () => {
      await scrapes(2);
      const rules = (await waitFor<Rule[] | false>(
        async () => {
          const data = await prometheus!.api<{ groups: Array<{ rules: Rule[] }> }>('/api/v1/rules', { type: 'alert' });
          const all = data.groups.flatMap((g) => g.rules);
          return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : false;
        },
        { what: 'every rule evaluated', timeoutMs: 30_000, intervalMs: 250 },
      )) as Rule[];
      expect(rules.map((r) => r.name).sort()).toEqual(
        alertExpressions()
          .map((r) => r.alert)
          .sort(),
      );
      expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
      expect(rules.filter((r) => r.state !== 'inactive').map((r) => `${r.name}: ${r.state}`)).toEqual([]);
    });
  },
);
