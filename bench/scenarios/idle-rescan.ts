// Scenario 8: what rescans cost on an idle system with many empty numbers databases. Two
// daemons in turn, each behind a counting proxy, rescanning every --idle-rescan-ms:
// "every db" with `_dbs_info` refused by the proxy (the daemon then drains every database,
// as rescans did before `_dbs_info`), "changed only" with it. Figures: CouchDB requests per
// minute by kind, daemon and CouchDB CPU, and the ratios between the two.
import type { IncomingMessage } from 'node:http';
import { numbersDbNames } from '../lib/dataset.js';
import { World } from '../lib/world.js';
import { DaemonProcess } from '../lib/daemon-process.js';
import { startDelayProxy } from '../lib/delay-proxy.js';
import { QueueProbe } from '../lib/queue-probe.js';
import { waitInitialSync } from '../lib/sync-wait.js';
import { CpuMeter } from '../lib/proc.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

const KINDS = ['_changes', '_dbs_info', '_all_dbs', '_db_updates', 'other'] as const;
type Kind = (typeof KINDS)[number];

interface IdlePass {
  mode: 'every db' | 'changed only';
  seconds: number;
  requestsPerMin: Record<Kind, number>;
  totalPerMin: number;
  cpu: Record<string, number>;
}

/** What a request to CouchDB is, for the counts (a live feed's longpoll counts as _changes). */
function kindOf(req: IncomingMessage): Kind {
  const path = (req.url ?? '').split('?')[0]!;
  if (path.startsWith('/_dbs_info')) return '_dbs_info';
  if (path.startsWith('/_all_dbs')) return '_all_dbs';
  if (path.startsWith('/_db_updates')) return '_db_updates';
  if (/^\/[^/]+\/_changes$/.test(path)) return '_changes';
  return 'other';
}

/** `count` distinct numbers/+NNNN names (1,000 per country digit). */
function manyNumbersDbs(count: number): string[] {
  const names: string[] = [];
  for (let country = 1; names.length < count; country++) names.push(...numbersDbNames(Math.min(1000, count - names.length), String(country)));
  return names;
}

export const idleRescan: Scenario = async (ctx) => {
  const o = ctx.options;
  const world = await World.open('idle-rescan', ctx.servers);
  const passes: IdlePass[] = [];
  try {
    ctx.log(`idle-rescan: creating ${o.idleDbs} empty numbers databases`);
    await world.createDbs(manyNumbersDbs(o.idleDbs), o.clientConcurrency);
    for (const [i, mode] of (['every db', 'changed only'] as const).entries()) {
      ctx.log(`idle-rescan: ${mode}, rescans every ${o.idleRescanMs} ms, measuring ${o.idleSeconds} s`);
      passes.push(await measurePass(world, `${world.prefix}-${i}`, mode, o.idleRescanMs, o.idleSeconds));
    }
  } finally {
    await world.close();
  }
  const [before, after] = passes as [IdlePass, IdlePass];
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const rows: ResultRow[] = passes.flatMap((p) => [
    {
      metric: `CouchDB requests/min (${p.mode})`,
      value: p.totalPerMin,
      unit: '/min',
      baseline: p.requestsPerMin._changes,
      baselineLabel: `_changes, ${p.requestsPerMin._dbs_info.toFixed(0)} _dbs_info, ${p.requestsPerMin.other.toFixed(0)} other`,
    },
    { metric: `daemon CPU (${p.mode})`, value: p.cpu.daemon ?? Number.NaN, unit: 'cores' },
    { metric: `CouchDB server CPU (${p.mode})`, value: p.cpu.couch ?? 0, unit: 'cores' },
  ]);
  rows.push(
    {
      metric: 'requests/min: changed only / every db',
      value: after.totalPerMin,
      unit: '/min',
      baseline: before.totalPerMin,
      baselineLabel: 'every db',
      ratio: ratio(after.totalPerMin, before.totalPerMin),
      ratioLabel: 'of every db',
    },
    {
      metric: 'daemon CPU: changed only / every db',
      value: after.cpu.daemon ?? Number.NaN,
      unit: 'cores',
      baseline: before.cpu.daemon ?? Number.NaN,
      baselineLabel: 'every db',
      ratio: ratio(after.cpu.daemon ?? Number.NaN, before.cpu.daemon ?? Number.NaN),
      ratioLabel: 'of every db',
    },
  );
  return {
    scenario: 'idle-rescan',
    title: `Idle rescans: ${o.idleDbs} empty numbers databases, a rescan every ${o.idleRescanMs} ms`,
    rows,
    details: { dbs: o.idleDbs, rescanIntervalMs: o.idleRescanMs, seconds: o.idleSeconds, passes },
  };
};

async function measurePass(world: World, prefix: string, mode: IdlePass['mode'], rescanMs: number, seconds: number): Promise<IdlePass> {
  const counts = Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
  // As a server without _dbs_info answers (CouchDB < 2.2 takes it for a database name).
  const refuse = mode === 'every db';
  const proxy = await startDelayProxy(world.couchUrl, 0, (req) => {
    const kind = kindOf(req);
    counts[kind]++;
    return refuse && kind === '_dbs_info' ? { status: 400, body: { error: 'illegal_database_name', reason: "Name: '_dbs_info'." } } : undefined;
  });
  const probe = new QueueProbe(world.redisUrl, prefix);
  const daemon = new DaemonProcess({
    role: 'run',
    couchUrl: proxy.url,
    redisUrl: world.redisUrl,
    prefix,
    env: { NUMBERS_SYNC_RESCAN_INTERVAL_MS: String(rescanMs), NUMBERS_SYNC_SWEEP_INTERVAL_MS: '0', NUMBERS_SYNC_AUDIT_INTERVAL_MS: '0' },
  });
  try {
    await waitInitialSync(daemon, probe, 10 * 60_000);
    // One rescan first: the "changed only" daemon records what its first drains covered.
    await new Promise((r) => setTimeout(r, rescanMs + 1000));
    for (const k of KINDS) counts[k] = 0;
    const meter = await CpuMeter.start({ daemon: daemon.pid, couch: world.couchPid });
    const t = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const minutes = (performance.now() - t) / 60_000;
    const cpu = await meter.stop();
    const requestsPerMin = Object.fromEntries(KINDS.map((k) => [k, counts[k] / minutes])) as Record<Kind, number>;
    const totalPerMin = KINDS.reduce((sum, k) => sum + requestsPerMin[k], 0);
    return { mode, seconds, requestsPerMin, totalPerMin, cpu };
  } finally {
    await daemon.stop();
    await probe.close();
    await proxy.close();
  }
}
