import { randomUUID } from 'node:crypto';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildQueue } from './rebuild-queue.js';

/**
 * Moves dirty accounts (recorded atomically with each index batch) into the queue.
 * Marks are cleared only after the enqueue succeeded, so a crash in between loses nothing:
 * the next start flushes what is left.
 */
export class RebuildOutbox {
  /** While held, batches only mark accounts dirty; used during a full replay of a fresh index. */
  private held = false;

  constructor(
    private readonly index: NumberIndex,
    private readonly queue: RebuildQueue,
  ) {}

  newToken(): string {
    return randomUUID();
  }

  hold(): void {
    this.held = true;
  }

  /** Enqueues accounts marked by one batch, unless held. */
  async deliver(token: string, accounts: string[]): Promise<void> {
    if (this.held || accounts.length === 0) return;
    await this.queue.request(accounts);
    await this.index.clearDirty(token, accounts);
  }

  /** Releases a hold and enqueues everything still marked dirty. Returns the number of accounts. */
  async flush(): Promise<number> {
    this.held = false;
    let cursor = '0';
    let total = 0;
    do {
      const page = await this.index.dirtyAccounts(cursor, 500);
      cursor = page.cursor;
      if (page.accounts.length === 0) continue;
      await this.queue.request(page.accounts.map(([account]) => account));
      const byToken = new Map<string, string[]>();
      for (const [account, token] of page.accounts) byToken.set(token, [...(byToken.get(token) ?? []), account]);
      for (const [token, accounts] of byToken) await this.index.clearDirty(token, accounts);
      total += page.accounts.length;
    } while (cursor !== '0');
    return total;
  }
}
