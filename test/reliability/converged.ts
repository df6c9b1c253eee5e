import { Redis } from 'ioredis';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { NumberIndex } from '../../src/index/number-index.js';
import type { AccountDrift } from '../../src/audit/compare-account.js';
import type { NumberLoad } from './number-load.js';

export interface Convergence {
  drift: AccountDrift[];
  /** Accounts whose listed numbers differ from the load's own model. */
  modelMismatch: Array<{ account: string; expected: string[]; listed: string[] }>;
  /** Databases with changes after their checkpoint (not consumed). */
  behind: Array<{ db: string; checkpoint: unknown; next: unknown }>;
}

/** One look at the whole system: audit drift, the model's expectation, and the checkpoints. */
export async function convergence(fx: CouchFixture, load: NumberLoad, redisUrl: string, prefix: string): Promise<Convergence> {
  const drift = await fx.drift(load.accounts);
  const modelMismatch: Convergence['modelMismatch'] = [];
  for (const [account, expected] of load.expectedListing()) {
    const listed = await fx.listed(account);
    if (JSON.stringify(listed) !== JSON.stringify(expected)) modelMismatch.push({ account, expected, listed });
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const behind: Convergence['behind'] = [];
  try {
    await redis.connect();
    const checkpoints = await new NumberIndex(redis, prefix).checkpoints();
    for (const db of load.dbs) {
      // Seqs are opaque (and spelled anew after a server restart): ask the server what follows
      // the checkpoint instead of comparing. An empty database is drained without a checkpoint.
      const checkpoint = checkpoints.get(db) ?? 0;
      const next = await fx.couch.changes(db, { since: checkpoint, limit: 1, includeDocs: false });
      if (next.results.length > 0) behind.push({ db, checkpoint, next: next.results[0]!.seq });
    }
  } finally {
    redis.disconnect();
  }
  return { drift, modelMismatch, behind };
}

export function isConverged(c: Convergence): boolean {
  return c.drift.length === 0 && c.modelMismatch.length === 0 && c.behind.length === 0;
}

/** Waits until drift, model mismatch and checkpoint lag are all zero; the error shows what was left. */
export async function waitForConvergence(
  fx: CouchFixture,
  load: NumberLoad,
  redisUrl: string,
  prefix: string,
  opts: { timeoutMs?: number; context?: () => string } = {},
): Promise<void> {
  let last: Convergence | undefined;
  await waitFor(async () => isConverged((last = await convergence(fx, load, redisUrl, prefix))), {
    what: 'zero drift',
    timeoutMs: opts.timeoutMs ?? 60_000,
    intervalMs: 500,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${JSON.stringify(last).slice(0, 3000)}\n${opts.context?.() ?? ''}`);
  });
}
