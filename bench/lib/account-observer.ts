// Sees account docs change: follows _db_updates and, for an account database with pending
// expectations, reads its phone_numbers doc and settles every expectation it now satisfies.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CouchClient } from '../../src/couch/couch-client.js';
import { accountDbName, accountIdFromDbName, PHONE_NUMBERS_DOC_ID } from '../../src/spec/index.js';

export interface Expectation {
  number: string;
  /** The entry's `updated` value that shows the write. */
  updated: number;
  /** performance.now() when the number write was acknowledged; undefined while in flight. */
  writtenAt?: number;
  seenAt?: number;
}

export class AccountObserver {
  private readonly pending = new Map<string, Expectation[]>();
  private readonly controller = new AbortController();
  private loop: Promise<void> | undefined;
  readonly settled: Expectation[] = [];
  docReads = 0;

  constructor(private readonly couch: CouchClient) {}

  /** Starts following from now; resolves once the feed position is taken. */
  async start(): Promise<void> {
    const first = await this.couch.request<{ last_seq: unknown }>({ path: '_db_updates', qs: { feed: 'normal', since: 'now' } });
    this.loop = this.follow(first.last_seq);
  }

  expect(accountId: string, expectation: Expectation): void {
    const list = this.pending.get(accountId) ?? [];
    list.push(expectation);
    this.pending.set(accountId, list);
  }

  get pendingCount(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /** Waits until nothing is pending, polling stragglers directly; returns what never showed up. */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.pendingCount > 0 && Date.now() < deadline) {
      await sleep(200);
      for (const accountId of [...this.pending.keys()]) await this.check(accountId);
    }
    return this.pendingCount;
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop?.catch(() => undefined);
  }

  private async follow(since: unknown): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      try {
        const page = await this.couch.dbUpdates({ since, timeoutMs: 10_000, signal });
        since = page.last_seq;
        const accounts = new Set<string>();
        for (const update of page.results) {
          const accountId = accountIdFromDbName(update.db_name);
          if (accountId && this.pending.has(accountId)) accounts.add(accountId);
        }
        await Promise.all([...accounts].map((a) => this.check(a)));
      } catch {
        if (!signal.aborted) await sleep(100);
      }
    }
  }

  private async check(accountId: string): Promise<void> {
    if (!this.pending.has(accountId)) return;
    this.docReads++;
    const doc = await this.couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID);
    const now = performance.now();
    // Re-read the list: expectations may have been added while the doc was being fetched.
    const list = this.pending.get(accountId) ?? [];
    const still: Expectation[] = [];
    for (const e of list) {
      const entry = doc?.[e.number] as { updated?: number } | undefined;
      if (typeof entry?.updated === 'number' && entry.updated >= e.updated) {
        // Seen before the write's acknowledgement was processed counts as zero lag (see lagMs).
        e.seenAt = now;
        this.settled.push(e);
      } else {
        still.push(e);
      }
    }
    if (still.length > 0) this.pending.set(accountId, still);
    else this.pending.delete(accountId);
  }
}

/** Lag from the acknowledged number write to the account doc showing it. */
export function lagMs(e: Expectation): number | undefined {
  if (e.seenAt === undefined || e.writtenAt === undefined) return undefined;
  return Math.max(0, e.seenAt - e.writtenAt);
}

export interface LagBreakdown {
  /** Updates matched to the rebuild job that published them (the jobs BullMQ still keeps). */
  matched: number;
  /** Medians, ms: write -> job created (listener), created -> started (coalescing + queue), started -> finished (rebuild), finished -> seen (observer). */
  listenerMs: number;
  queueMs: number;
  rebuildMs: number;
  observerMs: number;
}

/**
 * Splits the lag of each seen update at the first rebuild job of its account created after the
 * write and finished before it was seen. `performance.now()` values are turned into epoch ms.
 */
export function lagBreakdown(settled: readonly Expectation[], jobs: ReadonlyArray<{ accountId: string; createdAt: number; startedAt: number; finishedAt: number }>, accountOf: (number: string) => string | undefined, median: (values: number[]) => number): LagBreakdown {
  const byAccount = new Map<string, typeof jobs[number][]>();
  for (const job of [...jobs].sort((a, b) => a.createdAt - b.createdAt)) {
    const list = byAccount.get(job.accountId) ?? [];
    list.push(job);
    byAccount.set(job.accountId, list);
  }
  const parts = { listener: [] as number[], queue: [] as number[], rebuild: [] as number[], observer: [] as number[] };
  for (const e of settled) {
    if (e.writtenAt === undefined || e.seenAt === undefined) continue;
    const written = performance.timeOrigin + e.writtenAt;
    const seen = performance.timeOrigin + e.seenAt;
    const account = accountOf(e.number);
    const job = account ? byAccount.get(account)?.find((j) => j.createdAt >= written && j.finishedAt <= seen) : undefined;
    if (!job) continue;
    parts.listener.push(job.createdAt - written);
    parts.queue.push(job.startedAt - job.createdAt);
    parts.rebuild.push(job.finishedAt - job.startedAt);
    parts.observer.push(seen - job.finishedAt);
  }
  return { matched: parts.listener.length, listenerMs: median(parts.listener), queueMs: median(parts.queue), rebuildMs: median(parts.rebuild), observerMs: median(parts.observer) };
}
