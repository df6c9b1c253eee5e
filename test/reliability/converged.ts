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
  /** Databases whose checkpoint is not at their update_seq (changes not consumed). */
  behind: Array<{ db: string; checkpoint: unknown; updateSeq: unknown }>;
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
      const info = await fx.couch.request<{ update_seq: unknown }>({ db, path: '' });
      // An empty database is drained without a checkpoint.
      const checkpoint = checkpoints.get(db) ?? 0;
      if (JSON.stringify(checkpoint) !== JSON.stringify(info.update_seq)) behind.push({ db, checkpoint, updateSeq: info.update_seq });
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
export async function waitForConvergence(fx: CouchFixture, load: NumberLoad, redisUrl: string, prefix: string, opts: { timeoutMs?: number; context?: () => string } = {}): Promise<void> {
  let last: Convergence | undefined;
  await waitFor(async () => isConverged((last = await convergence(fx, load, redisUrl, prefix))), {
    what: 'zero drift',
    timeoutMs: opts.timeoutMs ?? 60_000,
    intervalMs: 500,
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${JSON.stringify(last).slice(0, 3000)}\n${opts.context?.() ?? ''}`);
  });
}
