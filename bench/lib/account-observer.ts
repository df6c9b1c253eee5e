// Sees account docs change: follows a longpoll `_changes` feed (include_docs) of each sampled
// account database and settles every expectation the phone_numbers doc it delivers satisfies.
// Its own delay is measured: probe docs written straight into those databases, timed from the
// write's acknowledgement to the feed delivering them (CouchDB 3 batches `_db_updates` every
// 500 ms, which is why the observer no longer follows it).
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CouchClient, ChangesPage } from '../../src/couch/couch-client.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';

export interface Expectation {
  number: string;
  /** The entry's `updated` value that shows the write. */
  updated: number;
  /** performance.now() when the number write was acknowledged; undefined while in flight. */
  writtenAt?: number;
  seenAt?: number;
}

export interface ObserverOptions {
  /** Accounts whose databases are followed; expectations of any other account are ignored. */
  accounts: readonly string[];
  /** Interval of the self-delay probes (0 = none). */
  probeIntervalMs?: number;
}

interface Probe {
  writtenAt?: number;
  seenAt?: number;
}

const PROBE_PREFIX = 'bench-observer-probe-';

export class AccountObserver {
  private readonly pending = new Map<string, Expectation[]>();
  private readonly controller = new AbortController();
  private readonly loops: Array<Promise<void>> = [];
  private readonly followed: ReadonlySet<string>;
  private readonly probes = new Map<string, Probe>();
  /** Probe doc ids of this observer: each pass has its own (a reused id would conflict). */
  private readonly probePrefix = `${PROBE_PREFIX}${randomBytes(4).toString('hex')}-`;
  readonly settled: Expectation[] = [];
  docReads = 0;

  constructor(
    private readonly couch: CouchClient,
    private readonly opts: ObserverOptions,
  ) {
    this.followed = new Set(opts.accounts);
    // One abort listener per open feed request, hundreds at once: not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  /** True when this account's database is followed (only then does `expect` record anything). */
  observes(accountId: string): boolean {
    return this.followed.has(accountId);
  }

  /** Starts following from now; resolves once every feed position is taken. */
  async start(): Promise<void> {
    const positions = await Promise.all(
      [...this.followed].map(async (accountId) => {
        const info = await this.couch.request<{ update_seq: unknown }>({ db: accountDbName(accountId) });
        return [accountId, info.update_seq] as const;
      }),
    );
    for (const [accountId, since] of positions) this.loops.push(this.follow(accountId, since));
    if ((this.opts.probeIntervalMs ?? 0) > 0) this.loops.push(this.probe(this.opts.probeIntervalMs!));
  }

  expect(accountId: string, expectation: Expectation): void {
    if (!this.followed.has(accountId)) return;
    const list = this.pending.get(accountId) ?? [];
    list.push(expectation);
    this.pending.set(accountId, list);
  }

  get pendingCount(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }

  /** The observer's own delay, ms: probe write acknowledged -> delivered by its feed. */
  selfDelays(): number[] {
    const out: number[] = [];
    for (const p of this.probes.values()) if (p.writtenAt !== undefined && p.seenAt !== undefined) out.push(Math.max(0, p.seenAt - p.writtenAt));
    return out;
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
    await Promise.all(this.loops.map((l) => l.catch(() => undefined)));
  }

  private async follow(accountId: string, since: unknown): Promise<void> {
    const signal = this.controller.signal;
    const db = accountDbName(accountId);
    while (!signal.aborted) {
      try {
        const page = await this.couch.request<ChangesPage>({
          db,
          path: '_changes',
          qs: { feed: 'longpoll', since, include_docs: true, timeout: 10_000 },
          timeoutMs: 20_000,
          signal,
        });
        const now = performance.now();
        since = page.last_seq;
        for (const row of page.results) {
          if (row.id === PHONE_NUMBERS_DOC_ID && row.doc) this.settle(accountId, row.doc, now);
          else if (row.id.startsWith(this.probePrefix)) {
            const probe = this.probes.get(row.id);
            if (probe && probe.seenAt === undefined) probe.seenAt = now;
          }
        }
      } catch {
        if (!signal.aborted) await sleep(100);
      }
    }
  }

  /** Writes a fresh probe doc into the followed databases in turn, one every intervalMs. */
  private async probe(intervalMs: number): Promise<void> {
    const signal = this.controller.signal;
    const accounts = [...this.followed];
    for (let i = 0; !signal.aborted && accounts.length > 0; i++) {
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      const id = `${this.probePrefix}${i}`;
      const probe: Probe = {};
      this.probes.set(id, probe);
      try {
        await this.couch.request({ method: 'put', db: accountDbName(accounts[i % accounts.length]!), path: id, body: { probe: i }, signal });
        probe.writtenAt = performance.now();
      } catch {
        this.probes.delete(id);
      }
    }
  }

  private async check(accountId: string): Promise<void> {
    if (!this.pending.has(accountId)) return;
    this.docReads++;
    const doc = await this.couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID);
    if (doc) this.settle(accountId, doc, performance.now());
  }

  private settle(accountId: string, doc: Record<string, unknown>, now: number): void {
    const list = this.pending.get(accountId);
    if (!list) return;
    const still: Expectation[] = [];
    for (const e of list) {
      const entry = doc[e.number] as { updated?: number } | undefined;
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
export function lagBreakdown(
  settled: readonly Expectation[],
  jobs: ReadonlyArray<{ accountId: string; createdAt: number; startedAt: number; finishedAt: number }>,
  accountOf: (number: string) => string | undefined,
  median: (values: number[]) => number,
): LagBreakdown {
  const byAccount = new Map<string, (typeof jobs)[number][]>();
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
  return {
    matched: parts.listener.length,
    listenerMs: median(parts.listener),
    queueMs: median(parts.queue),
    rebuildMs: median(parts.rebuild),
    observerMs: median(parts.observer),
  };
}
