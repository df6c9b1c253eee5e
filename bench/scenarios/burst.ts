// Scenario 4: a burst of updates to the numbers of one account within a second; the account
// doc must be written a handful of times (coalescing), and be correct at the end.
import { setTimeout as sleep } from 'node:timers/promises';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { generateDataset, T0, type NumberDoc } from '../lib/dataset.js';
import { bulkWrite, seedDataset } from '../lib/seed.js';
import { World } from '../lib/world.js';
import { DaemonProcess } from '../lib/daemon-process.js';
import { QueueProbe } from '../lib/queue-probe.js';
import { waitInitialSync } from '../lib/sync-wait.js';
import { verifyAccounts } from '../lib/verify.js';
import type { Scenario } from '../lib/context.js';
import { revGeneration } from '../../test/harness/numbers.js';

export const burst: Scenario = async (ctx) => {
  const o = ctx.options;
  const world = await World.open('burst', ctx.servers);
  const probe = new QueueProbe(world.redisUrl, world.prefix);
  let daemon: DaemonProcess | undefined;
  try {
    // One account owning every number, spread over a few databases as real numbers are.
    const dataset = generateDataset({ numbers: o.burstNumbers, dbs: Math.min(5, o.burstNumbers), accounts: 1, parentShare: 0, seed: o.seed });
    const account = dataset.accounts[0]!;
    const revs = await seedDataset(world, dataset, o.clientConcurrency);
    daemon = new DaemonProcess({ role: 'run', couchUrl: world.couchUrl, redisUrl: world.redisUrl, prefix: world.prefix, concurrency: o.concurrency });
    await waitInitialSync(daemon, probe, 5 * 60_000);
    const readDoc = () => world.couch.getDoc(accountDbName(account), PHONE_NUMBERS_DOC_ID);
    const before = revGeneration((await readDoc())?._rev);

    const rounds = Math.ceil(o.burstUpdates / o.burstNumbers);
    const docs = new Map<string, NumberDoc[]>([...dataset.docsByDb].map(([db, list]) => [db, list.map((d) => ({ ...d, _rev: revs.get(d._id) }))]));
    ctx.log(`burst: ${o.burstUpdates} updates to ${o.burstNumbers} numbers of one account in ${rounds} rounds over ${o.burstWindowMs} ms`);
    const start = performance.now();
    let updates = 0;
    for (let round = 0; round < rounds; round++) {
      const due = start + (round * o.burstWindowMs) / rounds;
      if (performance.now() < due) await sleep(due - performance.now());
      await Promise.all(
        [...docs].map(async ([db, list]) => {
          const batch = list.slice(0, Math.max(0, Math.min(list.length, o.burstUpdates - updates)));
          if (batch.length === 0) return;
          updates += batch.length;
          const written = await bulkWrite(
            world,
            db,
            batch.map((d) => ({ ...d, pvt_modified: T0 + round + 1, pvt_used_by: `burst-${round}` })),
          );
          for (const d of list)
            if (written.has(d._id)) Object.assign(d, { _rev: written.get(d._id), pvt_modified: T0 + round + 1, pvt_used_by: `burst-${round}` });
        }),
      );
    }
    const burstMs = performance.now() - start;

    // Settled: the doc shows the last round everywhere and the queue is empty.
    const last = new Map([...docs.values()].flat().map((d) => [d._id, d.pvt_modified]));
    for (const deadline = Date.now() + 120_000; ; ) {
      const doc = await readDoc();
      const current = [...last].every(([n, v]) => (doc?.[n] as { updated?: number } | undefined)?.updated === v);
      if (current && (await probe.pending()) === 0) break;
      if (Date.now() > deadline) throw new Error('burst: the account doc did not catch up within 120 s');
      await sleep(100);
    }
    const settledMs = performance.now() - start;
    await sleep(500); // a late rebuild would show up as one more generation
    const writes = revGeneration((await readDoc())?._rev) - before;
    const verdict = await verifyAccounts(world.couch, [account], o.clientConcurrency);
    return {
      scenario: 'burst',
      title: `Burst: ${updates} updates to ${o.burstNumbers} numbers of one account within ${o.burstWindowMs} ms`,
      rows: [
        {
          metric: 'account doc writes',
          value: writes,
          unit: '',
          baseline: updates,
          baselineLabel: 'updates',
          ratio: updates / Math.max(1, writes),
          ratioLabel: 'coalesced',
          target: '<= 10',
          ok: writes <= 10 && verdict.ok,
        },
        { metric: 'burst to doc settled', value: settledMs, unit: 'ms', baseline: burstMs, baselineLabel: 'burst itself' },
      ],
      details: { updates, rounds, burstMs, settledMs, writes, verdict, daemonProblems: daemon.problems().slice(0, 20) },
    };
  } finally {
    await daemon?.stop();
    await probe.close();
    await world.close();
  }
};
