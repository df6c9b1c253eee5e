// Scenario 2: rebuilding accounts from the Redis index vs querying a view in every numbers
// database (KAZOO 4.x), at several database counts.
import { setTimeout as sleep } from 'node:timers/promises';
import pMap from 'p-map';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { NumberIndex } from '../../src/index/number-index.js';
import { AccountRebuilder } from '../../src/rebuild/account-rebuilder.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { generateDataset } from '../lib/dataset.js';
import { seedDataset } from '../lib/seed.js';
import { World } from '../lib/world.js';
import { DaemonProcess } from '../lib/daemon-process.js';
import { NAIVE_DESIGN_DOC, NAIVE_VIEW_PATH, naiveRebuild } from '../lib/naive-rebuild.js';
import { verifyAccounts } from '../lib/verify.js';
import { mean, percentile } from '../lib/stats.js';
import type { BenchContext, Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

const TARGET_DBS = 50;

interface Point {
  dbs: number;
  numbers: number;
  accounts: number;
  sample: number;
  viewBuildMs: number;
  indexBuildMs: number;
  oursMs: { mean: number; p50: number; p95: number };
  naiveMs: { mean: number; p50: number; p95: number };
  speedup: number;
  verified: { ours: boolean; naive: boolean };
}

export const naive: Scenario = async (ctx) => {
  const points: Point[] = [];
  for (const dbs of ctx.options.naiveDbs) points.push(await measure(ctx, dbs));
  const rows: ResultRow[] = points.map((p) => ({
    metric: `rebuild one account, ${p.dbs} dbs`,
    value: p.oursMs.mean,
    unit: 'ms',
    baseline: p.naiveMs.mean,
    baselineLabel: 'view per db',
    ratio: p.speedup,
    ratioLabel: 'faster',
    ...(p.dbs === TARGET_DBS ? { target: '>= 10x', ok: p.speedup >= 10 && p.verified.ours && p.verified.naive } : { ok: p.verified.ours && p.verified.naive }),
  }));
  return { scenario: 'naive', title: 'Rebuild from the index vs a view query in every numbers database', rows, details: { points } };
};

async function measure(ctx: BenchContext, dbCount: number): Promise<Point> {
  const o = ctx.options;
  const world = await World.open(`naive${dbCount}`, ctx.servers);
  const redis = new Redis(world.redisUrl);
  let listener: DaemonProcess | undefined;
  try {
    const accounts = Math.max(2, Math.round(o.naiveNumbers / 10));
    ctx.log(`naive ${dbCount} dbs: seeding ${o.naiveNumbers} numbers, ${accounts} accounts`);
    const dataset = generateDataset({ numbers: o.naiveNumbers, dbs: Math.min(dbCount, o.naiveNumbers), accounts, parentShare: o.parentShare, seed: o.seed });
    await seedDataset(world, dataset, o.clientConcurrency);

    // Both sides start from built indexes: CouchDB keeps views up to date, we keep the Redis index.
    let t = performance.now();
    await pMap(dataset.dbs, (db) => world.couch.putDoc(db, NAIVE_DESIGN_DOC), { concurrency: o.clientConcurrency });
    await pMap(dataset.dbs, (db) => world.couch.request({ db, path: NAIVE_VIEW_PATH, qs: { limit: 0 } }), { concurrency: 2 });
    const viewBuildMs = performance.now() - t;
    t = performance.now();
    const index = new NumberIndex(redis, world.prefix);
    listener = new DaemonProcess({ role: 'listen', couchUrl: world.couchUrl, redisUrl: world.redisUrl, prefix: world.prefix });
    while (!(await index.isReady())) await sleep(50);
    const indexBuildMs = performance.now() - t;
    await listener.stop();
    listener = undefined;

    const step = dataset.accounts.length / Math.min(o.naiveSample, dataset.accounts.length);
    const sample = Array.from({ length: Math.min(o.naiveSample, dataset.accounts.length) }, (_, i) => dataset.accounts[Math.floor(i * step)]!);
    ctx.log(`naive ${dbCount} dbs: rebuilding ${sample.length} accounts each way`);

    const rebuilder = new AccountRebuilder({ couch: world.couch, index, logger: pino({ level: 'silent' }) });
    const ours = await timeEach(sample, (a) => rebuilder.rebuild(a));
    const oursOk = (await verifyAccounts(world.couch, sample, o.clientConcurrency)).ok;

    // Same starting point for the baseline: no account doc, so both sides write every doc.
    await removeDocs(ctx, world, sample);
    const naiveTimes = await timeEach(sample, (a) => naiveRebuild(world.couch, a, dataset.dbs, o.clientConcurrency));
    const naiveOk = (await verifyAccounts(world.couch, sample, o.clientConcurrency)).ok;

    const summary = (xs: number[]) => ({ mean: mean(xs), p50: percentile(xs, 50), p95: percentile(xs, 95) });
    return {
      dbs: dataset.dbs.length,
      numbers: o.naiveNumbers,
      accounts,
      sample: sample.length,
      viewBuildMs,
      indexBuildMs,
      oursMs: summary(ours),
      naiveMs: summary(naiveTimes),
      speedup: mean(naiveTimes) / mean(ours),
      verified: { ours: oursOk, naive: naiveOk },
    };
  } finally {
    await listener?.stop();
    redis.disconnect();
    await world.close();
  }
}

/** One account at a time: the latency of a rebuild, not the server's parallel throughput. */
async function timeEach(accounts: readonly string[], rebuild: (accountId: string) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (const accountId of accounts) {
    const start = performance.now();
    const outcome = await rebuild(accountId);
    if (outcome !== 'written') throw new Error(`rebuild of ${accountId} did not write (${String(outcome)})`);
    times.push(performance.now() - start);
  }
  return times;
}

async function removeDocs(ctx: BenchContext, world: World, accounts: readonly string[]): Promise<void> {
  await pMap(
    accounts,
    async (accountId) => {
      const db = accountDbName(accountId);
      const doc = await world.couch.getDoc(db, PHONE_NUMBERS_DOC_ID);
      if (doc) await world.couch.request({ method: 'delete', db, path: PHONE_NUMBERS_DOC_ID, qs: { rev: doc._rev } });
    },
    { concurrency: ctx.options.clientConcurrency },
  );
}
