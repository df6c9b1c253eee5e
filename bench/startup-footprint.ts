// Start time and idle RSS of `npm start`: `node --import tsx bench/startup-footprint.ts [checkout]`.
// Each run starts `npm start` in `checkout` (default: this one) on a fresh data dir, times spawn
// to the first /readyz 200, idles IDLE_MS (20 s), then reads VmRSS of the daemon process and of
// the embedded CouchDB child. RUNS (3) runs, medians printed last. EXTERNAL_COUCH_URL and
// EXTERNAL_REDIS_URL set: the daemon uses those servers instead of the embedded default.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/util/free-port.js';

const checkout = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));
const runs = Number(process.env.RUNS ?? 3);
const idleMs = Number(process.env.IDLE_MS ?? 20_000);
const external =
  process.env.EXTERNAL_COUCH_URL && process.env.EXTERNAL_REDIS_URL
    ? { couch: process.env.EXTERNAL_COUCH_URL, redis: process.env.EXTERNAL_REDIS_URL }
    : undefined;

interface Run {
  readyMs: number;
  daemonRssMb: number;
  couchRssMb: number;
}

const rssMb = (pid: number | undefined): number => {
  if (pid === undefined) return 0;
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb ?? 0) / 102.4) / 10;
};
const cmdline = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
const childrenOf = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
};
const tree = (pid: number): number[] => [pid, ...childrenOf(pid).flatMap(tree)];
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function once(label: number): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nsync-footprint-'));
  const httpPort = await freePort();
  const env = {
    ...process.env,
    NUMBERS_SYNC_DATA_DIR: dataDir,
    NUMBERS_SYNC_HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'warn',
    COUCHDB_URL: external?.couch ?? '',
    REDIS_URL: external?.redis ?? '',
    NUMBERS_SYNC_PREFIX: `footprint${label}${Date.now()}`,
  };
  const started = performance.now();
  // Its own process group: npm and everything it started stop together.
  const npm = spawn('npm', ['start'], { cwd: checkout, env, detached: true, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((done) => npm.once('exit', done));
  try {
    let readyMs: number | undefined;
    while (readyMs === undefined) {
      if (performance.now() - started > 120_000) throw new Error('not ready within 120 s');
      const status = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) readyMs = Math.round(performance.now() - started);
      else await sleep(25);
    }
    await sleep(idleMs);
    const nodes = tree(npm.pid!).filter((pid) => /(^|\/)node /.test(cmdline(pid)));
    const daemon = nodes.find((pid) => cmdline(pid).includes('bin/numbers-sync.js'));
    const couch = nodes.find((pid) => /embedded-couch|couch\/embedded/.test(cmdline(pid)));
    return { readyMs, daemonRssMb: rssMb(daemon), couchRssMb: rssMb(couch) };
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGTERM');
      await exited;
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Run[] = [];
for (let i = 1; i <= runs; i++) {
  const run = await once(i);
  results.push(run);
  console.log(JSON.stringify({ run: i, ...run }));
}
console.log(
  JSON.stringify({
    checkout,
    external: Boolean(external),
    median: {
      readyMs: median(results.map((r) => r.readyMs)),
      daemonRssMb: median(results.map((r) => r.daemonRssMb)),
      couchRssMb: median(results.map((r) => r.couchRssMb)),
    },
  }),
);
