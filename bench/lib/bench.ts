// Runs the selected scenarios one after the other and assembles the report.
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { redactUrl } from '../../src/util/redact.js';
import { SCENARIO_RUNNERS } from '../scenarios/index.js';
import type { BenchOptions } from './options.js';
import type { BenchReport, ScenarioResult } from './report.js';
import type { BenchContext } from './context.js';
import type { WorldServers } from './world.js';

export interface RunBenchOptions {
  options: BenchOptions;
  servers: WorldServers;
  command: string;
  log?: (message: string) => void;
}

export async function runBench(opts: RunBenchOptions): Promise<BenchReport> {
  const ctx: BenchContext = {
    options: opts.options,
    servers: { couchMode: opts.options.couchMode, ...opts.servers },
    log: opts.log ?? (() => undefined),
    initialSyncs: new Map(),
  };
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    command: opts.command,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? '',
      memoryMb: Math.round(totalmem() / 2 ** 20),
      node: process.version,
      platform: process.platform,
      loadAverage: loadavg(),
    },
    couch: opts.servers.couchUrl ? redactUrl(opts.servers.couchUrl) : `embedded, ${opts.options.couchMode} mode (in memory, fresh per data set)`,
    redis: opts.servers.redisUrl ? redactUrl(opts.servers.redisUrl) : 'private redis-server (fresh per data set)',
    options: { ...opts.options, daemonNodeArgs: process.env.BENCH_DAEMON_NODE_ARGS || undefined },
    results: [],
  };
  // The order of the options is the order of the runs; memory reuses the initial sync.
  for (const name of opts.options.scenarios) {
    ctx.log(
      `== ${name} (load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}, free ${Math.round(freemem() / 2 ** 20)} MB)`,
    );
    const start = performance.now();
    const result = await SCENARIO_RUNNERS[name](ctx);
    const full: ScenarioResult = { ...result, durationMs: Math.round(performance.now() - start) };
    report.results.push(full);
  }
  return report;
}

export async function writeReport(report: BenchReport, dir: string, name?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name ?? report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
