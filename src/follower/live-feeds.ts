import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay } from '../util/backoff.js';
import { abortableSleep } from '../util/abortable-sleep.js';

export interface LiveFeedsOptions {
  couch: CouchClient;
  logger: Logger;
  /** Feeds open at once at most (0 = none: `touch` does nothing). */
  size: number;
  /** Server-side timeout of each longpoll. */
  feedTimeoutMs: number;
  /** A change was seen on `db` (or it is gone): the caller decides what to read. */
  onChange: (db: string) => void;
  /** The number of open feeds changed (for a gauge). */
  onSize?: (open: number) => void;
  /** Ends every feed. */
  signal: AbortSignal;
}

/** Rows asked per longpoll: only "something changed" matters, the next poll continues from there. */
const ROWS_PER_POLL = 100;

/**
 * A bounded pool of longpoll `_changes` feeds on the databases touched most recently (LRU).
 * A feed only says that its database changed, at once, where `_db_updates` may say it up to
 * `[global_changes] max_write_delay` later (CouchDB 3 batches those events); it reads no docs
 * and commits nothing. Touching a database when the pool is full ends the feed of the one
 * touched longest ago. A feed ends on abort, on eviction and when its database is gone; it
 * backs off on errors. Generic following: it knows nothing of what the databases hold.
 */
export class LiveFeeds {
  /** Open feeds in LRU order (a Map iterates in insertion order: first = least recent). */
  private readonly feeds = new Map<string, AbortController>();

  constructor(private readonly opts: LiveFeedsOptions) {}

  get open(): readonly string[] {
    return [...this.feeds.keys()];
  }

  /** `db` changed: keep (or open) its feed, as the most recent. */
  touch(db: string): void {
    if (this.opts.size <= 0 || this.opts.signal.aborted) return;
    const existing = this.feeds.get(db);
    if (existing) {
      this.feeds.delete(db);
      this.feeds.set(db, existing);
      return;
    }
    while (this.feeds.size >= this.opts.size) {
      const oldest = this.feeds.keys().next().value as string;
      this.drop(oldest);
    }
    const controller = new AbortController();
    this.feeds.set(db, controller);
    this.opts.onSize?.(this.feeds.size);
    void this.follow(db, AbortSignal.any([this.opts.signal, controller.signal])).finally(() => {
      // Ended on its own (database gone, fatal error): free its place.
      if (this.feeds.get(db) === controller) this.drop(db);
    });
  }

  /** Ends the feed of `db` (deleted, or evicted). */
  drop(db: string): void {
    const controller = this.feeds.get(db);
    if (!controller) return;
    this.feeds.delete(db);
    controller.abort();
    this.opts.onSize?.(this.feeds.size);
  }

  private async follow(db: string, signal: AbortSignal): Promise<void> {
    const { couch, logger, feedTimeoutMs, onChange } = this.opts;
    // From now: whatever made the caller touch it is read by the drain that touch came with.
    let since: unknown = 'now';
    let attempt = 0;
    while (!signal.aborted) {
      try {
        const page = await couch.changesLongpoll(db, { since, limit: ROWS_PER_POLL, timeoutMs: feedTimeoutMs, signal });
        if (signal.aborted) return;
        attempt = 0;
        if (page.results.length > 0) onChange(db);
        since = page.last_seq;
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof CouchError ? err : new CouchError('transient', undefined, String(err));
        if (e.kind === 'db_not_found') {
          // Deleted: the caller's drain finds out and forgets it; a re-created one is touched again.
          onChange(db);
          return;
        }
        if (e.fatal) {
          logger.warn({ db, err: e.message }, 'live _changes feed refused; closing it');
          return;
        }
        const delay = backoffDelay(attempt++);
        logger.debug({ db, err: e.message, retryInMs: delay }, 'live _changes feed failed; retrying');
        await abortableSleep(delay, signal);
      }
    }
  }
}
