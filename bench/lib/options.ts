// Benchmark flags (pure): parsed from argv, every size and scenario selectable.
import { parseArgs } from 'node:util';

export const SCENARIOS = ['initial-sync', 'naive', 'steady', 'burst', 'memory', 'workers', 'sweep', 'idle-rescan'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** How the embedded server behaves: like a stock CouchDB 3 (default) or its plain, faster self. */
export const COUCH_MODES = ['couchdb3', 'plain'] as const;
export type CouchMode = (typeof COUCH_MODES)[number];

export interface BenchOptions {
  scenarios: ScenarioName[];
  /** Numbers of the main data set (scenario 1 and 5). */
  numbers: number;
  dbs: number;
  /** Accounts of the main data set (default numbers / 10). */
  accounts: number;
  /** Share of accounts that are sub-accounts whose numbers a parent reserved. */
  parentShare: number;
  seed: number;
  /** Embedded server mode (ignored with COUCHDB_URL): CouchDB 3 fidelity or plain. */
  couchMode: CouchMode;
  /** Rebuild jobs run in parallel per daemon process (NUMBERS_SYNC_CONCURRENCY); unset = the daemon's default. */
  concurrency?: number;
  /** Parallel requests of the physical-limit baseline and of the seeders. */
  clientConcurrency: number;
  naiveDbs: number[];
  /** Numbers of each naive-baseline data set (default: numbers). */
  naiveNumbers: number;
  /** Accounts rebuilt (and timed) per approach and data set. */
  naiveSample: number;
  /** Second initial sync with the daemon's --max-old-space-size at this many MB, for comparison (0 = skip). */
  memoryHeapCapMb: number;
  steadySeconds: number;
  /** Numbers of the steady-state data set (default: numbers). */
  steadyNumbers: number;
  /** Fixed writer rate; 0 = the fractions below of the measured single-document write capacity. */
  steadyRate: number;
  /** Writer passes, as fractions of the measured capacity (the target is defined at 0.5). */
  steadyFractions: number[];
  /** Account databases the steady-state observer follows (its lag sample); 0 = every account. */
  observeAccounts: number;
  /** Steady passes, one daemon per NUMBERS_SYNC_LIVE_FEEDS value; empty = the daemon's default. */
  liveFeeds: number[];
  burstUpdates: number;
  burstNumbers: number;
  burstWindowMs: number;
  workers: number[];
  workersAccounts: number;
  workersNumbersPerAccount: number;
  workersDelayMs: number;
  workersConcurrency: number;
  /** Anti-entropy sweep passes, one per NUMBERS_SYNC_SWEEP_MAX_READS_PER_S value (0 = unbounded). */
  sweepMaxReads: number[];
  /** Empty numbers databases of the idle-rescan scenario, its rescan interval and measured time. */
  idleDbs: number;
  idleRescanMs: number;
  idleSeconds: number;
  /** Directory of the JSON results; '' = do not write. */
  out: string;
  /** File name of the JSON results (default: a timestamp). */
  name?: string;
}

export class OptionsError extends Error {
  override name = 'OptionsError';
}

const FLAGS = {
  scenarios: { type: 'string', help: `comma-separated subset of ${SCENARIOS.join(',')} (default: all)` },
  numbers: { type: 'string', help: 'numbers of the main data set (default 100000)' },
  dbs: { type: 'string', help: 'numbers databases of the main data set (default 50)' },
  accounts: { type: 'string', help: 'accounts of the main data set (default numbers/10)' },
  'parent-share': { type: 'string', help: 'share of accounts with parent reservations (default 0.1)' },
  seed: { type: 'string', help: 'PRNG seed of the data sets (default 1)' },
  'couch-mode': {
    type: 'string',
    help: 'embedded server: couchdb3 (opaque seqs, _db_updates in 500 ms batches) or plain (integer seqs, _db_updates at once) (default couchdb3)',
  },
  concurrency: { type: 'string', help: "daemon rebuild concurrency per process (default: the daemon's)" },
  'client-concurrency': { type: 'string', help: 'parallel requests of baselines and seeders (default 8)' },
  'naive-dbs': { type: 'string', help: 'database counts of the naive comparison (default 10,50,200)' },
  'naive-numbers': { type: 'string', help: 'numbers of each naive data set (default --numbers)' },
  'naive-sample': { type: 'string', help: 'accounts rebuilt per approach and data set (default 100)' },
  'memory-heap-cap': { type: 'string', help: "MB of --max-old-space-size of a second daemon sync, for comparison (default 4096, V8's default here; 0 = skip)" },
  'steady-seconds': { type: 'string', help: 'steady-state writer duration (default 60)' },
  'steady-numbers': { type: 'string', help: 'numbers of the steady-state data set (default --numbers)' },
  'steady-rate': { type: 'string', help: 'writer rate in writes/s (default: --steady-fractions of the measured capacity)' },
  'steady-fractions': { type: 'string', help: 'writer passes as fractions of the measured write capacity (default 0.5,0.25)' },
  'observe-accounts': { type: 'string', help: 'account databases whose _changes the steady-state observer follows, its lag sample (default 200; 0 = all)' },
  'live-feeds': { type: 'string', help: "steady passes per NUMBERS_SYNC_LIVE_FEEDS value, e.g. 64,0 (default: the daemon's)" },
  'idle-dbs': { type: 'string', help: 'empty numbers databases of the idle-rescan scenario (default 2000)' },
  'idle-rescan-ms': { type: 'string', help: 'rescan interval of the idle-rescan scenario (default 5000)' },
  'idle-seconds': { type: 'string', help: 'measured time of each idle-rescan pass (default 30)' },
  'burst-updates': { type: 'string', help: 'updates in the burst (default 1000)' },
  'burst-numbers': { type: 'string', help: 'numbers of the burst account (default 100)' },
  'burst-window-ms': { type: 'string', help: 'burst duration (default 1000)' },
  workers: { type: 'string', help: 'worker process counts (default 1,2,4)' },
  'workers-accounts': { type: 'string', help: 'accounts rebuilt per worker count (default 200)' },
  'workers-numbers': { type: 'string', help: 'numbers per account in the workers scenario (default 5)' },
  'workers-delay-ms': { type: 'string', help: 'added latency of each account-database write (default 100)' },
  'workers-concurrency': { type: 'string', help: 'rebuild concurrency of each worker process (default 2)' },
  'sweep-max-reads': { type: 'string', help: 'sweep passes, one per read bound in docs/s (default 200,0; 0 = unbounded)' },
  out: { type: 'string', help: "directory of the JSON results (default bench/results; '' = none)" },
  name: { type: 'string', help: 'file name of the JSON results (default: a timestamp)' },
  help: { type: 'boolean', help: 'show this help' },
} as const;

export function helpText(): string {
  const lines = Object.entries(FLAGS).map(([flag, f]) => `  --${flag}${f.type === 'string' ? ' <v>' : ''}`.padEnd(30) + f.help);
  return [
    'Usage: npm run bench -- [flags]',
    '',
    'Environment: COUCHDB_URL (default: a fresh embedded server per data set), REDIS_URL (default: a private redis-server per data set).',
    '',
    ...lines,
  ].join('\n');
}

/** Defaults for a data set of `numbers`; used by the CLI and by the smoke test. */
export function defaultOptions(overrides: Partial<BenchOptions> = {}): BenchOptions {
  const numbers = overrides.numbers ?? 100_000;
  const base: BenchOptions = {
    scenarios: [...SCENARIOS],
    numbers,
    dbs: 50,
    accounts: Math.max(1, Math.round(numbers / 10)),
    parentShare: 0.1,
    seed: 1,
    couchMode: 'couchdb3',
    clientConcurrency: 8,
    naiveDbs: [10, 50, 200],
    naiveNumbers: numbers,
    naiveSample: 100,
    memoryHeapCapMb: 4096,
    steadySeconds: 60,
    steadyNumbers: numbers,
    steadyRate: 0,
    steadyFractions: [0.5, 0.25],
    observeAccounts: 200,
    liveFeeds: [],
    idleDbs: 2000,
    idleRescanMs: 5000,
    idleSeconds: 30,
    burstUpdates: 1000,
    burstNumbers: 100,
    burstWindowMs: 1000,
    workers: [1, 2, 4],
    workersAccounts: 200,
    workersNumbersPerAccount: 5,
    workersDelayMs: 100,
    workersConcurrency: 2,
    sweepMaxReads: [200, 0],
    out: 'bench/results',
  };
  return { ...base, ...overrides };
}

/** Parses argv; undefined means --help was asked for. */
export function parseOptions(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({ args: argv, options: Object.fromEntries(Object.entries(FLAGS).map(([k, f]) => [k, { type: f.type }])), strict: true });
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) return undefined;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const num = (k: string, min: number, max = Number.MAX_SAFE_INTEGER, integer = true): number | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      throw new OptionsError(`--${k}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got '${raw}'`);
    return n;
  };
  const list = (k: string, min: number): number[] | undefined => {
    const raw = str(k);
    if (raw === undefined) return undefined;
    const items = raw.split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < min))
      throw new OptionsError(`--${k}: expected integers >= ${min} separated by commas, got '${raw}'`);
    return items;
  };
  const numbers = num('numbers', 1);
  const overrides: Partial<BenchOptions> = {};
  const set = <K extends keyof BenchOptions>(key: K, value: BenchOptions[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set('numbers', numbers);
  set('dbs', num('dbs', 1, 9000));
  set('accounts', num('accounts', 2));
  set('parentShare', num('parent-share', 0, 1, false));
  set('seed', num('seed', 0));
  const couchMode = str('couch-mode');
  if (couchMode !== undefined && !(COUCH_MODES as readonly string[]).includes(couchMode))
    throw new OptionsError(`--couch-mode: one of ${COUCH_MODES.join(', ')}, not '${couchMode}'`);
  set('couchMode', couchMode as CouchMode | undefined);
  set('concurrency', num('concurrency', 1, 1000));
  set('clientConcurrency', num('client-concurrency', 1, 256));
  set('naiveDbs', list('naive-dbs', 1));
  set('naiveNumbers', num('naive-numbers', 1));
  set('naiveSample', num('naive-sample', 1));
  set('memoryHeapCapMb', num('memory-heap-cap', 0, 65536));
  set('steadySeconds', num('steady-seconds', 1, 3600, false));
  set('steadyNumbers', num('steady-numbers', 1));
  set('steadyRate', num('steady-rate', 0, 1e6, false));
  const fractions = str('steady-fractions');
  if (fractions !== undefined) {
    const items = fractions.split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((f) => !(f > 0 && f <= 1)))
      throw new OptionsError(`--steady-fractions: expected numbers in (0, 1] separated by commas, got '${fractions}'`);
    overrides.steadyFractions = items;
  }
  set('observeAccounts', num('observe-accounts', 0));
  set('liveFeeds', list('live-feeds', 0));
  set('idleDbs', num('idle-dbs', 1, 9000));
  set('idleRescanMs', num('idle-rescan-ms', 1000));
  set('idleSeconds', num('idle-seconds', 1, 3600, false));
  set('burstUpdates', num('burst-updates', 1));
  set('burstNumbers', num('burst-numbers', 1));
  set('burstWindowMs', num('burst-window-ms', 1));
  set('workers', list('workers', 1));
  set('workersAccounts', num('workers-accounts', 1));
  set('workersNumbersPerAccount', num('workers-numbers', 1));
  set('workersDelayMs', num('workers-delay-ms', 0));
  set('workersConcurrency', num('workers-concurrency', 1, 1000));
  const sweepReads = str('sweep-max-reads');
  if (sweepReads !== undefined) {
    const items = sweepReads.split(',').map((s) => Number(s.trim()));
    if (items.length === 0 || items.some((n) => !Number.isInteger(n) || n < 0))
      throw new OptionsError(`--sweep-max-reads: expected integers >= 0 separated by commas, got '${sweepReads}'`);
    overrides.sweepMaxReads = items;
  }
  set('out', str('out'));
  set('name', str('name'));
  const scenarios = str('scenarios');
  if (scenarios !== undefined) {
    const picked = scenarios
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const unknown = picked.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
    if (unknown.length > 0 || picked.length === 0)
      throw new OptionsError(`--scenarios: unknown ${unknown.join(',') || '(empty)'}; choose from ${SCENARIOS.join(',')}`);
    overrides.scenarios = picked as ScenarioName[];
  }
  // Sizes derived from --numbers follow it unless given explicitly.
  const derived = defaultOptions({ numbers: numbers ?? 100_000 });
  const options = { ...derived, ...overrides };
  if (options.dbs > options.numbers) throw new OptionsError('--dbs must not exceed --numbers');
  return options;
}
