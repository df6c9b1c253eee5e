// Keeps the benchmark suite (bench/) from rotting: every scenario runs at a tiny size and must
// complete and report numbers. No timing is asserted; performance is what `npm run bench` is for.
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { runBench } from '../bench/lib/bench.js';
import { defaultOptions, SCENARIOS, type ScenarioName } from '../bench/lib/options.js';
import type { ScenarioResult } from '../bench/lib/report.js';
import { DAEMON_NODE_ARGS } from '../bench/lib/daemon-process.js';
import { readFileSync } from 'node:fs';

const tiny = defaultOptions({
  numbers: 200,
  dbs: 4,
  accounts: 20,
  clientConcurrency: 4,
  naiveDbs: [2, 3],
  naiveNumbers: 120,
  naiveSample: 5,
  memoryHeapCapMb: 128,
  steadySeconds: 2,
  steadyNumbers: 200,
  steadyRate: 20,
  burstUpdates: 60,
  burstNumbers: 12,
  burstWindowMs: 300,
  workers: [1, 2],
  workersAccounts: 8,
  workersNumbersPerAccount: 2,
  workersDelayMs: 10,
  sweepMaxReads: [400, 0],
  liveFeeds: [4, 0],
  idleDbs: 30,
  idleRescanMs: 1000,
  idleSeconds: 3,
  out: '',
});

async function run(scenario: ScenarioName): Promise<ScenarioResult> {
  // Each data set gets a fresh embedded CouchDB (the daemon follows every numbers database);
  // the suite's Redis is shared, separated by key prefix.
  const report = await runBench({ options: { ...tiny, scenarios: [scenario] }, servers: { redisUrl: inject('redisUrl') }, command: 'bench-smoke' });
  expect(report.results).toHaveLength(1);
  const result = report.results[0]!;
  expect(result.scenario).toBe(scenario);
  expect(result.rows.length).toBeGreaterThan(0);
  for (const row of result.rows) {
    expect(Number.isFinite(row.value), `${scenario}: ${row.metric}`).toBe(true);
    if (row.baseline !== undefined) expect(Number.isFinite(row.baseline), `${scenario}: ${row.metric} baseline`).toBe(true);
  }
  return result;
}

describe('benchmark smoke run (tiny sizes)', () => {
  it('covers every scenario', () => {
    expect([...SCENARIOS].sort()).toEqual(['burst', 'idle-rescan', 'initial-sync', 'memory', 'naive', 'steady', 'sweep', 'workers']);
  });

  it('initial-sync: the daemon makes every account doc correct', { timeout: 120_000 }, async () => {
    const result = await run('initial-sync');
    expect((result.details.verdict as { ok: boolean }).ok).toBe(true);
  });

  it('naive: both rebuilds write correct docs at each database count', { timeout: 120_000 }, async () => {
    const result = await run('naive');
    const points = result.details.points as Array<{ dbs: number; verified: { ours: boolean; naive: boolean } }>;
    expect(points.map((p) => p.dbs)).toEqual([2, 3]);
    for (const p of points) expect(p.verified).toEqual({ ours: true, naive: true });
  });

  it('steady: every update written is seen in its account doc, with and without live feeds', { timeout: 120_000 }, async () => {
    const result = await run('steady');
    const passes = result.details.passes as Array<{ unseen: number; liveFeeds?: number }>;
    expect(passes.map((p) => p.liveFeeds)).toEqual([4, 0]);
    for (const pass of passes) expect(pass.unseen).toBe(0);
  });

  it('idle-rescan: rescans of unchanged databases read no _changes once _dbs_info is answered', { timeout: 120_000 }, async () => {
    const result = await run('idle-rescan');
    const passes = result.details.passes as Array<{ mode: string; requestsPerMin: Record<string, number> }>;
    expect(passes.map((p) => p.mode)).toEqual(['every db', 'changed only']);
    expect(passes[1]!.requestsPerMin._changes).toBe(0);
    expect(passes[1]!.requestsPerMin._dbs_info).toBeGreaterThan(0);
  });

  it('burst: the account doc ends correct', { timeout: 120_000 }, async () => {
    const result = await run('burst');
    expect((result.details.verdict as { ok: boolean }).ok).toBe(true);
  });

  it('memory: reports daemon RSS and Redis bytes per number', { timeout: 120_000 }, async () => {
    const result = await run('memory');
    expect((result.details.rss as { peakBytes: number }).peakBytes).toBeGreaterThan(0);
  });

  it('sweep: a full sweep of a correct index repairs nothing', { timeout: 120_000 }, async () => {
    const result = await run('sweep');
    const passes = result.details.passes as Array<{ reads: number; repairs: Record<string, number> }>;
    expect(passes).toHaveLength(2);
    for (const p of passes) {
      expect(p.reads).toBeGreaterThanOrEqual(200);
      expect(p.repairs).toEqual({});
    }
  });

  it('workers: every round rebuilds every account correctly', { timeout: 180_000 }, async () => {
    const result = await run('workers');
    const points = result.details.points as Array<{ workers: number; verified: boolean }>;
    expect(points.map((p) => [p.workers, p.verified])).toEqual([
      [1, true],
      [2, true],
    ]);
  });
});

describe('the benchmarked daemon', () => {
  it('is run with the node flags `npm start` uses', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${DAEMON_NODE_ARGS.join(' ')} bin/numbers-sync.js run`);
  });
});
