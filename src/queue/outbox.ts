import { randomUUID } from 'node:crypto';
import { IndexLostError, LeaseLostError, type NumberIndex } from '../index/number-index.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay } from '../util/backoff.js';
import type { RebuildQueue } from './rebuild-queue.js';

/**
 * Moves dirty accounts (recorded atomically with each index batch) into the queue.
 * Marks are cleared only after the enqueue succeeded, so a failure in between loses nothing:
 * a failed delivery schedules a flush of everything still marked, retried with backoff until
 * it succeeds; the listener also flushes on every rescan and at every session start.
 * `index` must be fenced by the listener lease (clearing marks is a listener write).
 */
export class RebuildOutbox {
  /** While held, batches only mark accounts dirty; used during a full replay of a fresh index. */
  private held = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryAttempt = 0;
  private flushing: Promise<number> | undefined;
  /** Tokens whose delivery is under way: a flush leaves their marks to it (no second job per change). */
  private readonly delivering = new Set<string>();

  constructor(
    private readonly index: NumberIndex,
    private readonly queue: RebuildQueue,
    private readonly logger?: Logger,
  ) {}

  hold(): void {
    this.held = true;
  }

  /**
   * Runs `commit` (an index batch that marks the accounts it affects under `token`), then
   * enqueues those accounts unless held. The token counts as in flight from before the commit
   * until its delivery ends, so a flush in between leaves its marks to this delivery (else one
   * change could make two jobs, the second added while the first runs). A failed enqueue does
   * not fail the caller (the batch is committed, its marks are kept): it schedules a
   * redelivery. A failed commit, a lost lease or a lost index throw.
   */
  async commit(commit: (token: string) => Promise<string[]>): Promise<string[]> {
    const token = randomUUID();
    this.delivering.add(token);
    try {
      const accounts = await commit(token);
      await this.deliver(token, accounts);
      return accounts;
    } finally {
      this.delivering.delete(token);
    }
  }

  private async deliver(token: string, accounts: string[]): Promise<void> {
    if (this.held || accounts.length === 0) return;
    try {
      await this.queue.request(accounts);
      await this.index.clearDirty(token, accounts);
    } catch (err) {
      if (err instanceof LeaseLostError || err instanceof IndexLostError) throw err;
      this.logger?.warn(
        { accounts: accounts.length, err: err instanceof Error ? err.message : String(err) },
        'enqueueing rebuilds failed; the outbox keeps them and retries',
      );
      this.retrySoon();
    }
  }

  /** Releases a hold and enqueues everything still marked dirty. Returns the number of accounts. */
  async flush(): Promise<number> {
    this.held = false;
    return this.flushMarked();
  }

  /** Enqueues everything still marked dirty, unless held (a replay delivers at its end). */
  async flushIfReleased(): Promise<number> {
    return this.held ? 0 : this.flushMarked();
  }

  /** Cancels a scheduled redelivery (the session that owned the lease ended). */
  stop(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAttempt = 0;
  }

  private flushMarked(): Promise<number> {
    // One flush at a time; a caller arriving during one shares it.
    this.flushing ??= this.scanAndEnqueue().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async scanAndEnqueue(): Promise<number> {
    let cursor = '0';
    let total = 0;
    do {
      const page = await this.index.dirtyAccounts(cursor, 500);
      cursor = page.cursor;
      // A mark whose page is being delivered right now is that delivery's to clear: requesting
      // it here too would add a second job for one change while the first runs.
      const marked = page.accounts.filter(([, token]) => !this.delivering.has(token));
      if (marked.length === 0) continue;
      await this.queue.request(marked.map(([account]) => account));
      const byToken = new Map<string, string[]>();
      for (const [account, token] of marked) byToken.set(token, [...(byToken.get(token) ?? []), account]);
      for (const [token, accounts] of byToken) await this.index.clearDirty(token, accounts);
      total += marked.length;
    } while (cursor !== '0');
    return total;
  }

  private retrySoon(): void {
    if (this.retryTimer) return;
    const delay = backoffDelay(this.retryAttempt++);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.flushIfReleased().then(
        (accounts) => {
          this.retryAttempt = 0;
          this.logger?.info({ accounts }, 'outbox delivered after a failed enqueue');
        },
        (err: unknown) => {
          if (err instanceof LeaseLostError || err instanceof IndexLostError) return this.stop();
          this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'outbox delivery failed again; retrying');
          this.retrySoon();
        },
      );
    }, delay);
    this.retryTimer.unref();
  }
}
