// `npm run bench -- [flags]`: runs the benchmark scenarios, prints a table, writes JSON results.
import { loadavg } from 'node:os';
import { helpText, OptionsError, parseOptions } from './lib/options.js';
import { runBench, writeReport } from './lib/bench.js';
import { renderTable } from './lib/report.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (err instanceof OptionsError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`${(err as Error).message}\n\n${helpText()}\n`);
      return 2;
    }
    throw err;
  }
  if (!options) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const started = Date.now();
  const log = (message: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
  const report = await runBench({
    options,
    servers: { couchUrl: process.env.COUCHDB_URL || undefined, redisUrl: process.env.REDIS_URL || undefined },
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    log,
  });
  process.stdout.write(`\n${renderTable(report.results)}\n\n`);
  process.stdout.write(
    `machine: ${report.machine.cpus} x ${report.machine.model}, load average at start ${report.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  if (options.out) process.stdout.write(`results: ${await writeReport(report, options.out, options.name)}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
