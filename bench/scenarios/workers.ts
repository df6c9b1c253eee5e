// Scenario 6: throughput of 1, 2, 4... `numbers-sync work` processes (plus one listener) when
// every account-doc write is slowed down by a delay proxy in front of CouchDB.
import pMap from 'p-map';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { NumberIndex } from '../../src/index/number-index.js';
import { RebuildQueue } from '../../src/queue/rebuild-queue.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { generateDataset } from '../lib/dataset.js';
import { seedDataset } from '../lib/seed.js';
import { World } from '../lib/world.js';
import { DaemonProcess } from '../lib/daemon-process.js';
import { QueueProbe } from '../lib/queue-probe.js';
import { startDelayProxy } from '../lib/delay-proxy.js';
import { verifyAccounts } from '../lib/verify.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

interface Point {
  workers: number;
  jobs: number;
  ms: number;
  perSecond: number;
  verified: boolean;
}

export const workers: Scenario = async (ctx) => {
  const o = ctx.options;
  const world = await World.open('workers', ctx.servers);
  const proxy = await startDelayProxy(world.couchUrl, o.workersDelayMs);
  const probe = new QueueProbe(world.redisUrl, world.prefix);
  const redis = new Redis(world.redisUrl);
  const queue = new RebuildQueue({ connection: redis, prefix: world.prefix, attempts: 8, backoffMs: 100 });
  let listener: DaemonProcess | undefined;
  const running: DaemonProcess[] = [];
  try {
    const numbers = o.workersAccounts * o.workersNumbersPerAccount;
    const dataset = generateDataset({ numbers, dbs: Math.min(o.dbs, numbers), accounts: o.workersAccounts, parentShare: 0, seed: o.seed });
    await seedDataset(world, dataset, o.clientConcurrency);
    // Jobs pile up while the queue is paused; each round releases them to a fresh set of workers.
    await probe.queue.pause();
    listener = new DaemonProcess({ role: 'listen', couchUrl: world.couchUrl, redisUrl: world.redisUrl, prefix: world.prefix });
    const index = new NumberIndex(redis, world.prefix);
    while (!(await index.isReady())) await sleep(50);
    await listener.waitForLog('index replay complete; reconciling every account');

    const points: Point[] = [];
    for (const count of o.workers) {
      // Every round starts without account docs, so every job writes (through the slow path).
      await pMap(
        dataset.accounts,
        async (accountId) => {
          const db = accountDbName(accountId);
          const doc = await world.couch.getDoc(db, PHONE_NUMBERS_DOC_ID);
          if (doc) await world.couch.request({ method: 'delete', db, path: PHONE_NUMBERS_DOC_ID, qs: { rev: doc._rev } });
        },
        { concurrency: o.clientConcurrency },
      );
      // The docs were deleted behind the daemon's back: drop its cached copies, as `numbers-sync rebuild` does.
      await index.forgetDocs(dataset.accounts);
      await queue.request(dataset.accounts);
      const jobs = await probe.pending();
      ctx.log(`workers: ${count} process(es) x concurrency ${o.workersConcurrency}, ${jobs} jobs, writes delayed ${o.workersDelayMs} ms`);
      for (let i = 0; i < count; i++) {
        running.push(
          new DaemonProcess({ role: 'work', couchUrl: proxy.url, redisUrl: world.redisUrl, prefix: world.prefix, concurrency: o.workersConcurrency }),
        );
      }
      await Promise.all(running.map((w) => w.waitForLog('numbers-sync started')));
      await sleep(500); // let every worker connect and block on the queue
      const start = performance.now();
      await probe.queue.resume();
      const end = await probe.waitEmpty(30 * 60_000, 20);
      await probe.queue.pause();
      await Promise.all(running.splice(0).map((w) => w.stop()));
      const verified = (await verifyAccounts(world.couch, dataset.accounts, o.clientConcurrency)).ok;
      const ms = end - start;
      points.push({ workers: count, jobs, ms, perSecond: jobs / (ms / 1000), verified });
    }
    const base = points[0]!;
    const rows: ResultRow[] = points.map((p) => ({
      metric: `rebuilds/s with ${p.workers} worker process${p.workers === 1 ? '' : 'es'}`,
      value: p.perSecond,
      unit: '/s',
      baseline: base.perSecond,
      baselineLabel: `${base.workers} worker${base.workers === 1 ? '' : 's'}`,
      ratio: p.perSecond / base.perSecond,
      ratioLabel: `(ideal ${p.workers / base.workers}x)`,
      ok: p.verified,
    }));
    return {
      scenario: 'workers',
      title: `Workers scale: account writes delayed by ${o.workersDelayMs} ms, ${o.workersAccounts} accounts per round`,
      rows,
      details: { points, delayMs: o.workersDelayMs, concurrencyPerProcess: o.workersConcurrency, delayedWrites: proxy.delayed() },
    };
  } finally {
    await Promise.all(running.map((w) => w.stop()));
    await listener?.stop();
    await queue.close();
    await probe.close();
    redis.disconnect();
    await proxy.close();
    await world.close();
  }
};
