import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { LogCapture } from '../harness/log-capture.js';
import { CouchFixture } from '../harness/numbers.js';
import { uniquePrefix } from '../harness/servers.js';
import type { Daemon } from '../../src/daemon.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';
import { stableSnapshot, type StableSnapshot } from './account-revisions.js';

const SOAK = process.env.SOAK === '1';

export interface MidBurst {
  daemon: Daemon;
  load: NumberLoad;
  log: LogCapture;
  prefix: string;
  /** The numbers the burst (and whatever the test writes next) changes. */
  touched: string[];
  /** The entries of the numbers that never change again: no published revision may lose them. */
  stable: StableSnapshot;
  /** The burst itself, still being written. */
  burst: Promise<void>;
}

/**
 * The moment a Redis fault test strikes: the daemon converged under a load over three numbers
 * databases, then a burst on half the numbers is being written and the daemon applying it.
 */
export async function runUntilMidBurst(opts: { couchUrl: string; redisUrl: string; seed: number; label: string; leaseTtlMs: number }): Promise<MidBurst> {
  const load = new NumberLoad({ couchUrl: opts.couchUrl, seed: opts.seed, prefixes: ['+1415', '+1212', '+4420'], numbersPerDb: SOAK ? 500 : 80, accounts: 15 });
  await load.setup();
  const fx = new CouchFixture(opts.couchUrl);
  const log = new LogCapture();
  const prefix = uniquePrefix(opts.label);
  const daemon = startTestDaemon(testSettings(opts.couchUrl, opts.redisUrl, prefix, { batchSize: 50, leaseTtlMs: opts.leaseTtlMs }), { logger: log.logger });
  await load.step(SOAK ? 5000 : 800);
  await waitForConvergence(fx, load, opts.redisUrl, prefix);
  const touched = load.numbers.filter((_, i) => i % 2 === 0);
  const stable = await stableSnapshot(fx, load.accounts, new Set(load.numbers.filter((_, i) => i % 2 === 1)));
  const burst = load.step(SOAK ? 2000 : 300, touched);
  await log.waitForLog((r) => r.msg === 'changes page applied', 'the burst being applied', { from: log.mark() });
  return { daemon, load, log, prefix, touched, stable, burst };
}
