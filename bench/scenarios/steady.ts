// Scenario 3: a writer updates random numbers at a fixed share of the server's write capacity;
// lag from each number write to the owner's account doc showing it. One pass per fraction.
import { setTimeout as sleep } from 'node:timers/promises';
import { generateDataset, type NumberDoc } from '../lib/dataset.js';
import { seedDataset } from '../lib/seed.js';
import { World } from '../lib/world.js';
import { DaemonProcess } from '../lib/daemon-process.js';
import { QueueProbe } from '../lib/queue-probe.js';
import { waitInitialSync } from '../lib/sync-wait.js';
import { measureWriteCapacity, type Capacity } from '../lib/write-capacity.js';
import { AccountObserver, lagBreakdown, lagMs, type LagBreakdown } from '../lib/account-observer.js';
import { runRateWriter, type RateWriterResult } from '../lib/rate-writer.js';
import { Random } from '../../test/harness/random.js';
import { percentile } from '../lib/stats.js';
import { CpuMeter, cpuSeconds } from '../lib/proc.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

interface Pass {
  /** Share of the capacity, or undefined for a fixed --steady-rate. */
  fraction?: number;
  /** NUMBERS_SYNC_LIVE_FEEDS of the daemon (undefined: its default). */
  liveFeeds?: number;
  rate: number;
  achievedRate: number;
  writer: RateWriterResult;
  unseen: number;
  lagMs: { p50: number; p90: number; p95: number; p99: number; max: number; count: number };
  cpuShare: Record<string, number>;
  /** Rebuild jobs not finished, sampled every second. */
  queueBacklog: number[];
  /** The last finished rebuild jobs: queue wait and run time. */
  jobTimings: Awaited<ReturnType<QueueProbe['recentJobTimings']>>;
  /** Where the lag of the last updates went (those whose job BullMQ still keeps). */
  breakdown: LagBreakdown;
  /** The observer's own delay (probe write acknowledged -> seen in its feed), ms. */
  observerSelfDelayMs: { p50: number; p99: number; count: number };
  /** Daemon CPU (user + system) from the writer's start to every update synced, per update written. */
  daemonCpuMsPerChange: number;
  /** Same, less the daemon's idle CPU (measured for 2 s before the pass) over the same time. */
  daemonCpuMsPerChangeNet: number;
  daemonIdleCores: number;
}

export const steady: Scenario = async (ctx) => {
  const o = ctx.options;
  const world = await World.open('steady', ctx.servers);
  let daemon: DaemonProcess | undefined;
  const probe = new QueueProbe(world.redisUrl, world.prefix);
  try {
    const accounts = Math.max(2, Math.round(o.steadyNumbers / 10));
    ctx.log(`steady: seeding ${o.steadyNumbers} numbers, ${accounts} accounts`);
    const dataset = generateDataset({ numbers: o.steadyNumbers, dbs: Math.min(o.dbs, o.steadyNumbers), accounts, parentShare: o.parentShare, seed: o.seed });
    const revs = await seedDataset(world, dataset, o.clientConcurrency);

    ctx.log('steady: measuring the single-document write capacity');
    const capacity = await measureWriteCapacity(world, { clients: o.clientConcurrency, ms: Math.min(5000, Math.max(1000, o.steadySeconds * 100)) });

    const settings = o.liveFeeds.length > 0 ? o.liveFeeds : [undefined];
    daemon = steadyDaemon(world, o.concurrency, settings[0]);
    await waitInitialSync(daemon, probe, 30 * 60_000);

    const docs = new Map<string, NumberDoc>();
    for (const list of dataset.docsByDb.values()) for (const doc of list) docs.set(doc._id, { ...doc, _rev: revs.get(doc._id) });
    const random = new Random(o.seed + 1);
    const rates: Array<{ fraction?: number; rate: number }> = o.steadyRate
      ? [{ rate: o.steadyRate }]
      : o.steadyFractions.map((f) => ({ fraction: f, rate: capacity.writesPerSecond * f }));
    // Every rate with each live-feed setting (--live-feeds), one daemon per setting in turn.
    const plan = settings.flatMap((liveFeeds) => rates.map((r) => ({ ...r, liveFeeds })));
    // The lag sample: updates of these accounts, whose databases the observer follows (the
    // writer still updates numbers of every account).
    const owners = [...new Set(dataset.owners.values())];
    const sampleRandom = new Random(o.seed + 2);
    const observed =
      o.observeAccounts === 0 || o.observeAccounts >= owners.length
        ? owners
        : Array.from({ length: o.observeAccounts }, () => owners.splice(sampleRandom.int(owners.length), 1)[0]!);
    ctx.log(`steady: observing ${observed.length} account databases`);
    const passes: Pass[] = [];
    let running = settings[0];
    for (const { fraction, rate, liveFeeds } of plan) {
      if (liveFeeds !== running) {
        // The next daemon resumes the same index from its checkpoints.
        await daemon.stop();
        daemon = steadyDaemon(world, o.concurrency, (running = liveFeeds));
        await daemon.waitForLog('index found; resuming from checkpoints');
      }
      ctx.log(
        `steady: writing ${rate.toFixed(0)} updates/s for ${o.steadySeconds} s${fraction ? ` (${fraction * 100}% of capacity)` : ''}${liveFeeds === undefined ? '' : `, NUMBERS_SYNC_LIVE_FEEDS=${liveFeeds}`}`,
      );
      await probe.waitEmpty(5 * 60_000);
      const observer = new AccountObserver(world.couch, { accounts: observed, probeIntervalMs: 100 });
      await observer.start();
      try {
        const daemonIdleCores = await idleCores(daemon.pid, 2000);
        const daemonCpuBefore = await cpuSeconds(daemon.pid);
        const cpuStartedAt = performance.now();
        const cpu = await CpuMeter.start({ couch: world.couchPid, daemon: daemon.pid, redis: world.redisPid, bench: process.pid });
        const queueBacklog: number[] = [];
        const sampler = setInterval(() => void probe.pending().then((n) => queueBacklog.push(n)), 1000);
        const writer = await runRateWriter({ couch: world.couch, random, docs, owners: dataset.owners, observer, rate, durationMs: o.steadySeconds * 1000 });
        clearInterval(sampler);
        const cpuShare = await cpu.stop();
        const jobTimings = await probe.recentJobTimings();
        const unseen = await observer.drain(120_000);
        await probe.waitEmpty(5 * 60_000);
        const daemonCpuAfter = await cpuSeconds(daemon.pid);
        const daemonCpuMs = daemonCpuBefore === undefined || daemonCpuAfter === undefined ? Number.NaN : (daemonCpuAfter - daemonCpuBefore) * 1000;
        const daemonCpuMsPerChange = daemonCpuMs / Math.max(1, writer.written);
        const daemonCpuMsPerChangeNet = (daemonCpuMs - daemonIdleCores * (performance.now() - cpuStartedAt)) / Math.max(1, writer.written);
        const selfDelays = observer.selfDelays();
        const observerSelfDelayMs = { p50: percentile(selfDelays, 50), p99: percentile(selfDelays, 99), count: selfDelays.length };
        const breakdown = lagBreakdown(
          observer.settled,
          await probe.recentJobs(),
          (n) => dataset.owners.get(n),
          (v) => percentile(v, 50),
        );
        const lags = observer.settled.map(lagMs).filter((l): l is number => l !== undefined);
        const p = (q: number) => percentile(lags, q);
        passes.push({
          fraction,
          liveFeeds,
          rate,
          achievedRate: writer.written / (writer.elapsedMs / 1000),
          writer,
          unseen,
          lagMs: { p50: p(50), p90: p(90), p95: p(95), p99: p(99), max: p(100), count: lags.length },
          cpuShare,
          queueBacklog,
          jobTimings,
          breakdown,
          observerSelfDelayMs,
          daemonCpuMsPerChange,
          daemonCpuMsPerChangeNet,
          daemonIdleCores,
        });
      } finally {
        await observer.stop();
      }
    }
    return {
      scenario: 'steady',
      title: `Steady state: random number updates for ${o.steadySeconds} s over ${o.steadyNumbers} numbers`,
      rows: passes.flatMap((pass) => rowsOf(pass, capacity)),
      details: { capacity, passes, daemonProblems: daemon.problems().slice(0, 20) },
    };
  } finally {
    await daemon?.stop();
    await probe.close();
    await world.close();
  }
};

function steadyDaemon(world: World, concurrency: number | undefined, liveFeeds: number | undefined): DaemonProcess {
  const env: Record<string, string> = liveFeeds === undefined ? {} : { NUMBERS_SYNC_LIVE_FEEDS: String(liveFeeds) };
  return new DaemonProcess({ role: 'run', couchUrl: world.couchUrl, redisUrl: world.redisUrl, prefix: world.prefix, concurrency, env });
}

/** Share of a core a process uses while nothing happens, over `ms`. */
async function idleCores(pid: number, ms: number): Promise<number> {
  const before = await cpuSeconds(pid);
  const t = performance.now();
  await sleep(ms);
  const after = await cpuSeconds(pid);
  return before === undefined || after === undefined ? 0 : (after - before) / ((performance.now() - t) / 1000);
}

function rowsOf(pass: Pass, capacity: Capacity): ResultRow[] {
  const at = `${pass.fraction ? ` @${Math.round(pass.fraction * 100)}%` : ''}${pass.liveFeeds === undefined ? '' : ` live=${pass.liveFeeds}`}`;
  const primary = pass.fraction === undefined || pass.fraction === 0.5;
  return [
    {
      metric: `writer rate${at}`,
      value: pass.achievedRate,
      unit: '/s',
      baseline: capacity.writesPerSecond,
      baselineLabel: 'write capacity',
      ratio: pass.achievedRate / capacity.writesPerSecond,
      ratioLabel: 'of capacity',
      ...(primary ? { target: '50% of capacity' } : {}),
    },
    {
      metric: `lag p50${at}`,
      value: pass.lagMs.p50,
      unit: 'ms',
      baseline: capacity.latencyMs.p50,
      baselineLabel: 'one write p50',
      ratio: pass.lagMs.p50 / capacity.latencyMs.p50,
      ratioLabel: 'of a write',
    },
    { metric: `lag p95${at}`, value: pass.lagMs.p95, unit: 'ms' },
    { metric: `lag p99${at}`, value: pass.lagMs.p99, unit: 'ms', target: '< 1000 ms', ok: pass.lagMs.p99 < 1000 && pass.unseen === 0 },
    {
      metric: `lag p50 split: listener / queue / rebuild / observer${at}`,
      value: pass.breakdown.listenerMs,
      unit: 'ms',
      baseline: pass.breakdown.queueMs,
      baselineLabel: `queue, ${pass.breakdown.rebuildMs.toFixed(0)} rebuild, ${pass.breakdown.observerMs.toFixed(0)} observer`,
    },
    {
      metric: `observer self-delay p50 / p99${at}`,
      value: pass.observerSelfDelayMs.p50,
      unit: 'ms',
      baseline: pass.observerSelfDelayMs.p99,
      baselineLabel: `p99, ${pass.observerSelfDelayMs.count} probes`,
    },
    {
      metric: `updates seen in sampled account docs${at}`,
      value: pass.lagMs.count,
      unit: '',
      baseline: pass.writer.written,
      baselineLabel: 'written to all accounts',
      ok: pass.unseen === 0 && pass.writer.failed === 0,
    },
    {
      metric: `daemon CPU per change${at}`,
      value: pass.daemonCpuMsPerChange,
      unit: 'ms',
      baseline: pass.daemonCpuMsPerChangeNet,
      baselineLabel: `less idle CPU, ${pass.daemonIdleCores.toFixed(3)} cores`,
      target: '<= 1 ms',
      ok: pass.daemonCpuMsPerChange <= 1,
    },
  ];
}
