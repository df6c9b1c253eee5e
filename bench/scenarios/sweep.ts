// Scenario 7: what the anti-entropy sweep costs. After the initial sync of the main data set
// (quiet: no writes), one full sweep per read bound (--sweep-max-reads): its duration, the
// CouchDB documents it read per second, and the CPU the daemon, CouchDB and Redis used meanwhile.
import { generateDataset } from '../lib/dataset.js';
import { seedDataset } from '../lib/seed.js';
import { World } from '../lib/world.js';
import { DaemonProcess, type LogRecord } from '../lib/daemon-process.js';
import { CpuMeter } from '../lib/proc.js';
import { QueueProbe } from '../lib/queue-probe.js';
import { waitInitialSync } from '../lib/sync-wait.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

const BATCH_SIZE = 500;
// Sweeps run back to back: the measured one is the first that starts after the initial sync.
const SWEEP_INTERVAL_MS = 2000;

interface SweepPass {
  maxReadsPerS: number;
  durationMs: number;
  reads: number;
  readsPerS: number;
  repairs: Record<string, number>;
  cpu: Record<string, number>;
}

export const sweep: Scenario = async (ctx) => {
  const o = ctx.options;
  const world = await World.open('sweep', ctx.servers);
  const passes: SweepPass[] = [];
  try {
    ctx.log(`sweep: seeding ${o.numbers} numbers in ${o.dbs} databases, ${o.accounts} accounts`);
    const dataset = generateDataset({ numbers: o.numbers, dbs: o.dbs, accounts: o.accounts, parentShare: o.parentShare, seed: o.seed });
    await seedDataset(world, dataset, o.clientConcurrency);
    for (const [i, bound] of o.sweepMaxReads.entries()) {
      ctx.log(`sweep: daemon with NUMBERS_SYNC_SWEEP_MAX_READS_PER_S=${bound}`);
      // Each pass syncs into an index of its own (another key prefix), then sweeps it.
      passes.push(await measurePass(world, `${world.prefix}-${i}`, bound, o.concurrency));
    }
  } finally {
    await world.close();
  }
  const rows: ResultRow[] = passes.flatMap((p) => {
    const label = p.maxReadsPerS > 0 ? `bound ${p.maxReadsPerS}/s` : 'unbounded';
    const floor = p.maxReadsPerS > 0 ? (p.reads / p.maxReadsPerS) * 1000 : undefined;
    const repairs = Object.values(p.repairs).reduce((a, b) => a + b, 0);
    return [
      {
        metric: `sweep duration (${label})`,
        value: p.durationMs / 1000,
        unit: 's',
        ...(floor ? { baseline: floor / 1000, baselineLabel: 'reads / bound', ratio: p.durationMs / floor, ratioLabel: 'of pacing' } : {}),
      },
      {
        metric: `CouchDB docs read/s while sweeping (${label})`,
        value: p.readsPerS,
        unit: '/s',
        ...(p.maxReadsPerS > 0 ? { target: `<= ${p.maxReadsPerS}`, ok: p.readsPerS <= p.maxReadsPerS * 1.05 } : {}),
      },
      { metric: `daemon CPU while sweeping (${label})`, value: p.cpu.daemon ?? Number.NaN, unit: 'cores' },
      { metric: `CouchDB server CPU while sweeping (${label})`, value: p.cpu.couch ?? 0, unit: 'cores' },
      { metric: `repairs on a correct index (${label})`, value: repairs, unit: '', target: '0', ok: repairs === 0 },
    ];
  });
  return {
    scenario: 'sweep',
    title: `Anti-entropy sweep: ${o.numbers} numbers, ${o.dbs} databases, ${o.accounts} accounts (quiet)`,
    rows,
    details: { numbers: o.numbers, dbs: o.dbs, accounts: o.accounts, passes },
  };
};

async function measurePass(world: World, prefix: string, maxReadsPerS: number, concurrency: number | undefined): Promise<SweepPass> {
  const probe = new QueueProbe(world.redisUrl, prefix);
  const daemon = new DaemonProcess({
    role: 'run',
    couchUrl: world.couchUrl,
    redisUrl: world.redisUrl,
    prefix,
    concurrency,
    env: {
      NUMBERS_SYNC_BATCH_SIZE: String(BATCH_SIZE),
      NUMBERS_SYNC_SWEEP_INTERVAL_MS: String(SWEEP_INTERVAL_MS),
      NUMBERS_SYNC_SWEEP_MAX_READS_PER_S: String(maxReadsPerS),
    },
  });
  try {
    await waitInitialSync(daemon, probe, 30 * 60_000);
    const after = daemon.records.length;
    const started = await waitForRecord(daemon, after, 'anti-entropy sweep started');
    const meter = await CpuMeter.start({ daemon: daemon.pid, couch: world.couchPid, redis: world.redisPid });
    const t = performance.now();
    const done = await waitForRecord(daemon, daemon.records.indexOf(started), 'anti-entropy sweep complete');
    const durationMs = performance.now() - t;
    const cpu = await meter.stop();
    const reads = Number(done.reads);
    return { maxReadsPerS, durationMs, reads, readsPerS: reads / (durationMs / 1000), repairs: (done.repairs ?? {}) as Record<string, number>, cpu };
  } finally {
    await daemon.stop();
    await probe.close();
  }
}

/** The first log record with this message at or after index `from`. */
async function waitForRecord(daemon: DaemonProcess, from: number, msg: string, timeoutMs = 60 * 60_000): Promise<LogRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = daemon.records.slice(from).find((r) => r.msg === msg);
    if (found) return found;
    if (daemon.child.exitCode !== null) throw new Error(`numbers-sync exited before logging '${msg}'`);
    if (Date.now() > deadline) throw new Error(`numbers-sync did not log '${msg}' within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
