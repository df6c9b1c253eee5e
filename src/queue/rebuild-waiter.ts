import pMap from 'p-map';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { RebuildOutcome } from '../rebuild/account-rebuilder.js';
import type { RebuildQueue } from './rebuild-queue.js';

export interface RebuildResult {
  accountId: string;
  /** pending: still waiting/active/retrying at the deadline; unknown: its job record was already trimmed. */
  state: 'completed' | 'failed' | 'pending' | 'unknown';
  jobId?: string;
  outcome?: RebuildOutcome;
  failedReason?: string;
  attemptsMade?: number;
}

export interface WaitOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Waits until none of the accounts has a rebuild waiting, running or retrying: an account's
 * deduplication key lives from its request until its last job (including a run requested while
 * one was active) finishes. Then reports the outcome of the last job seen for each account.
 */
export async function waitForRebuilds(queue: RebuildQueue, requested: ReadonlyMap<string, string | undefined>, opts: WaitOptions): Promise<RebuildResult[]> {
  const lastJob = new Map(requested);
  const pending = new Set(requested.keys());
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const accounts = [...pending];
    for (let i = 0; i < accounts.length; i += 1000) {
      const chunk = accounts.slice(i, i + 1000);
      const ids = await Promise.all(chunk.map((a) => queue.queue.getDeduplicationJobId(a)));
      chunk.forEach((account, j) => {
        const id = ids[j];
        if (id) lastJob.set(account, id);
        else pending.delete(account);
      });
    }
    opts.onProgress?.(requested.size - pending.size, requested.size);
    if (pending.size === 0 || Date.now() >= deadline || opts.signal?.aborted) break;
    await abortableSleep(opts.pollMs ?? 250, opts.signal);
  }
  return pMap(
    [...requested.keys()],
    async (accountId): Promise<RebuildResult> => {
      const jobId = lastJob.get(accountId);
      if (pending.has(accountId)) return { accountId, state: 'pending', jobId };
      const job = jobId ? await queue.queue.getJob(jobId) : undefined;
      if (!job) return { accountId, state: 'unknown', jobId };
      const state = await job.getState();
      if (state === 'completed') return { accountId, state, jobId, outcome: job.returnvalue as RebuildOutcome, attemptsMade: job.attemptsMade };
      if (state === 'failed') return { accountId, state, jobId, failedReason: job.failedReason, attemptsMade: job.attemptsMade };
      return { accountId, state: 'unknown', jobId };
    },
    { concurrency: 16 },
  );
}
