// The bounded, in-memory event log behind _db_updates.
import { badRequest } from './http.js';
import type { DbEventType } from './registry.js';
import { taggedSeqs, type SeqCodec } from './seq-codec.js';

export interface DbUpdateEvent {
  db_name: string;
  type: DbEventType;
  seq: string;
}

interface Entry {
  db_name: string;
  type: DbEventType;
  n: number;
  /** False once the pair happened again (a newer entry replaces it) or was dropped. */
  live: boolean;
}

/**
 * Like CouchDB's _global_changes database, each (type, database) pair is one entry that moves
 * to the end when it happens again, so a busy database costs one entry, not one per write.
 * At most `capacity` entries are kept (oldest dropped). Nothing survives a restart.
 *
 * Sequences are strings spelled by `seqs` ("<n>-<run tag>" by default) that carry the server
 * run, so a `since` from an earlier run (or one older than what is retained) simply yields
 * everything retained instead of silently skipping events.
 */
export class DbUpdatesLog {
  /** (type, database) -> its live entry. */
  private readonly entries = new Map<string, Entry>();
  /**
   * Every entry in `n` order, replaced ones left in place as dead: a feed position is found by
   * binary search, so a poll costs O(log size + events returned), not O(size). Polls are as
   * frequent as writes, and the log holds one entry per account database the daemon writes.
   */
  private order: Entry[] = [];
  private head = 0;
  private counter = 0;
  private waiters = new Set<() => void>();

  constructor(
    private readonly capacity = 10_000,
    private readonly seqs: SeqCodec = taggedSeqs(),
  ) {}

  record(dbName: string, type: DbEventType): void {
    const key = `${type}:${dbName}`;
    const previous = this.entries.get(key);
    if (previous) previous.live = false;
    const entry: Entry = { db_name: dbName, type, n: ++this.counter, live: true };
    this.entries.set(key, entry);
    this.order.push(entry);
    if (this.entries.size > this.capacity) {
      while (!this.order[this.head]!.live) this.head++;
      const oldest = this.order[this.head++]!;
      oldest.live = false;
      this.entries.delete(`${oldest.type}:${oldest.db_name}`);
    }
    // Dead entries are dropped once they outnumber the live ones (amortised O(1) per event).
    if (this.order.length - this.head > 2 * this.entries.size + 1024) {
      this.order = this.order.slice(this.head).filter((e) => e.live);
      this.head = 0;
    }
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  get size(): number {
    return this.entries.size;
  }

  /** True when something was recorded after position `n`. */
  hasAfter(n: number): boolean {
    return this.counter > n;
  }

  /** Feeds currently waiting for an event; for leak checks. */
  get waiting(): number {
    return this.waiters.size;
  }

  lastSeq(): string {
    return this.format(this.counter);
  }

  /** Position for a `since` parameter: 0, "now", or a seq this log handed out. */
  parseSince(since: string | undefined): number {
    if (since === undefined || since === '0' || since === '') return 0;
    if (since === 'now') return this.counter;
    const parsed = this.seqs.parse(since);
    if (!parsed) throw badRequest(`Malformed sequence supplied in 'since' parameter.`);
    if (parsed.instance !== undefined && parsed.instance !== this.seqs.instance) return 0; // from another run: replay what we have
    return Math.min(parsed.n, this.counter);
  }

  /** Events after position `n`, oldest first, at most `limit`. */
  after(n: number, limit = Infinity): { results: DbUpdateEvent[]; lastN: number } {
    const results: DbUpdateEvent[] = [];
    let lastN = n;
    // First entry with e.n > n (order is sorted by n).
    let lo = this.head;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.n <= n) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.order.length && results.length < limit; i++) {
      const e = this.order[i]!;
      if (!e.live) continue;
      results.push({ db_name: e.db_name, type: e.type, seq: this.format(e.n) });
      lastN = e.n;
    }
    // Nothing newer retained: the caller is up to date with everything that happened.
    if (results.length === 0) lastN = Math.max(n, this.counter);
    return { results, lastN };
  }

  format(n: number): string {
    return String(this.seqs.format(n));
  }

  /** Resolves on the next recorded event, or when `signal` aborts. */
  nextEvent(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = () => {
        this.waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
