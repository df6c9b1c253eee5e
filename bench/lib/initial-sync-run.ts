// The main data set synced from scratch, measured once and shared by scenarios 1 (time) and
// 5 (memory): physical-limit baseline first, then the daemon as a child process.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { generateDataset } from './dataset.js';
import { seedDataset } from './seed.js';
import { World } from './world.js';
import { DaemonProcess } from './daemon-process.js';
import { cpuSeconds, RssSampler } from './proc.js';
import { QueueProbe } from './queue-probe.js';
import { physicalLimit, type LimitResult } from './physical-limit.js';
import { indexBytesPerNumber, usedMemory } from './redis-memory.js';
import { verifyAccounts, type Verdict } from './verify.js';
import { waitInitialSync } from './sync-wait.js';
import { mean } from './stats.js';
import type { BenchContext } from './context.js';

const BATCH_SIZE = 500;

export interface InitialSyncRun {
  heapCapMb?: number;
  numbers: number;
  accounts: number;
  dbs: number;
  seedMs: number;
  limit: LimitResult;
  /** Spawn of the daemon process to every account doc correct. */
  daemonMs: number;
  /** Same, from the daemon's "started" log line (process start-up excluded). */
  syncMs: number;
  startupMs: number;
  /** CPU (user + system) the daemon process used from its spawn to every account doc correct, ms. */
  daemonCpuMs?: number;
  /** From the daemon's start to its index replay complete (the rest is rebuilding accounts). */
  replayMs?: number;
  verdict: Verdict;
  verifyRounds: number;
  rss: { peakBytes: number; idleBytes: number; samples: Array<{ t: number; bytes: number }> };
  redis: {
    private: boolean;
    usedBeforeBytes?: number;
    usedAfterBytes?: number;
    /** (used after - used before) / numbers: index plus the queue's leftovers. */
    infoBytesPerNumber?: number;
    indexBytesPerNumber: number;
    sampledKeyBytes: { numberKey: number; accountSet: number; dbSet: number };
  };
  meanNumberDocBytes: number;
  daemonProblems: unknown[];
}

/** The sync of the main data set; `heapCapMb` runs the daemon with this --max-old-space-size instead of DAEMON_NODE_ARGS'. */
export function initialSyncRun(ctx: BenchContext, heapCapMb?: number): Promise<InitialSyncRun> {
  const key = String(heapCapMb ?? '');
  let run = ctx.initialSyncs.get(key);
  if (!run) ctx.initialSyncs.set(key, (run = measure(ctx, heapCapMb)));
  return run;
}

async function measure(ctx: BenchContext, heapCapMb: number | undefined): Promise<InitialSyncRun> {
  const o = ctx.options;
  const world = await World.open(heapCapMb ? `initial-heap${heapCapMb}` : 'initial', ctx.servers);
  const redis = new Redis(world.redisUrl);
  let daemon: DaemonProcess | undefined;
  let probe: QueueProbe | undefined;
  try {
    ctx.log(
      `initial sync${heapCapMb ? ` (daemon with --max-old-space-size=${heapCapMb})` : ''}: seeding ${o.numbers} numbers in ${o.dbs} databases, ${o.accounts} accounts`,
    );
    const dataset = generateDataset({ numbers: o.numbers, dbs: o.dbs, accounts: o.accounts, parentShare: o.parentShare, seed: o.seed });
    let t = performance.now();
    await seedDataset(world, dataset, o.clientConcurrency);
    const seedMs = performance.now() - t;

    ctx.log('initial sync: physical limit (read every number doc once, write every account doc once)');
    const limit = await physicalLimit(world, dataset.dbs, { concurrency: o.clientConcurrency, batchSize: BATCH_SIZE });

    ctx.log('initial sync: daemon');
    const usedBefore = world.privateRedis ? await usedMemory(redis) : undefined;
    probe = new QueueProbe(world.redisUrl, world.prefix);
    const spawnedAt = Date.now();
    t = performance.now();
    daemon = new DaemonProcess({
      role: 'run',
      couchUrl: world.couchUrl,
      redisUrl: world.redisUrl,
      prefix: world.prefix,
      concurrency: o.concurrency,
      env: { NUMBERS_SYNC_BATCH_SIZE: String(BATCH_SIZE) },
      ...(heapCapMb ? { nodeArgs: [`--max-old-space-size=${heapCapMb}`] } : {}),
    });
    const sampler = new RssSampler(daemon.pid, 200);
    const started = await daemon.waitForLog('numbers-sync started');
    const startupMs = Number(started.time) - spawnedAt;
    let done = await waitInitialSync(daemon, probe, 30 * 60_000);
    let verdict = await verifyAccounts(world.couch, undefined, o.clientConcurrency);
    let verifyRounds = 1;
    // A drifting account here would be a bug (or a job retrying): wait for the queue again, re-verify.
    while (!verdict.ok && verifyRounds < 5) {
      await sleep(1000);
      done = await probe.waitEmpty(5 * 60_000);
      verdict = await verifyAccounts(world.couch, undefined, o.clientConcurrency);
      verifyRounds++;
    }
    const daemonMs = done - t;
    const cpu = await cpuSeconds(daemon.pid);
    const daemonCpuMs = cpu === undefined ? undefined : cpu * 1000;
    const replayed = daemon.find('index replay complete; reconciling every account');
    const replayMs = replayed ? Number(replayed.time) - Number(started.time) : undefined;
    sampler.stop();
    const idle = sampler.samples.find((s) => s.t >= startupMs)?.bytes ?? sampler.samples[0]?.bytes ?? 0;

    const usedAfter = world.privateRedis ? await usedMemory(redis) : undefined;
    const numbers = [...dataset.owners.keys()];
    const sampled = await indexBytesPerNumber(redis, world.prefix, numbers, dataset.accounts, dataset.dbs);
    const docSizes = dataset.dbs.slice(0, 5).flatMap((db) => dataset.docsByDb.get(db)!.map((d) => JSON.stringify(d).length));
    return {
      heapCapMb,
      numbers: o.numbers,
      accounts: o.accounts,
      dbs: o.dbs,
      seedMs,
      limit,
      daemonMs,
      syncMs: daemonMs - startupMs,
      startupMs,
      daemonCpuMs,
      replayMs,
      verdict,
      verifyRounds,
      rss: { peakBytes: sampler.peak, idleBytes: idle, samples: downsample(sampler.samples, 200) },
      redis: {
        private: world.privateRedis,
        usedBeforeBytes: usedBefore,
        usedAfterBytes: usedAfter,
        infoBytesPerNumber: usedBefore !== undefined && usedAfter !== undefined ? (usedAfter - usedBefore) / o.numbers : undefined,
        indexBytesPerNumber: sampled.perNumber,
        sampledKeyBytes: { numberKey: sampled.numberKey, accountSet: sampled.accountSet, dbSet: sampled.dbSet },
      },
      meanNumberDocBytes: mean(docSizes),
      daemonProblems: daemon.problems().slice(0, 20),
    };
  } finally {
    await daemon?.stop();
    await probe?.close();
    redis.disconnect();
    await world.close();
  }
}

function downsample<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]!);
}
