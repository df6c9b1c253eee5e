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
  /**
   * `db` needs a drain: a change was seen on it, it is gone, its feed just became live (what came
   * before it) or stopped being continuous while it owed one (see `take`).
   */
  onChange: (db: string) => void;
  /** The number of open feeds changed (for a gauge). */
  onSize?: (open: number) => void;
  /** Ends every feed. */
  signal: AbortSignal;
}

/** Rows asked per longpoll: only "something changed" matters, the next poll continues from there. */
const ROWS_PER_POLL = 100;

/**
 * opening: no position from the server yet (it asks for a drain once it has one);
 * live: longpolling continuously from a position the server gave;
 * failing: its last request failed (it retries; it covers nothing meanwhile).
 */
type FeedState = 'opening' | 'live' | 'failing';

interface Feed {
  controller: AbortController;
  state: FeedState;
  /** A change it took over (see `take`) is not yet covered by a drain it asked for. */
  owes: boolean;
}

/**
 * A bounded pool of longpoll `_changes` feeds on the databases touched most recently (LRU).
 * A feed only says that its database changed, at once, where `_db_updates` may say it up to
 * `[global_changes] max_write_delay` later (CouchDB 3 batches those events); it reads no docs
 * and commits nothing. Touching a database when the pool is full ends the feed of the one
 * touched longest ago. A feed ends on abort, on eviction and when its database is gone; it
 * backs off on errors. Generic following: it knows nothing of what the databases hold.
 *
 * A feed first asks the server where the database is (`since=now`, answered at once), asks
 * for one drain (everything before that position), then longpolls from there: from then on
 * every change is reported by it, so a late `_db_updates` event for the same change needs no
 * drain of its own (`take`). A feed that stops being continuous (evicted, failing, ended)
 * asks for a drain if it took over a change it has not reported since.
 */
export class LiveFeeds {
  /** Open feeds in LRU order (a Map iterates in insertion order: first = least recent). */
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly opts: LiveFeedsOptions) {}

  get open(): readonly string[] {
    return [...this.feeds.keys()];
  }

  /** `db` changed: keep (or open) its feed, as the most recent. */
  touch(db: string): void {
    this.keep(db);
  }

  /**
   * `db` changed (a change already committed): touches it, and answers true when its feed takes
   * over asking for the drain of that change: it is live (it reports the change, or reported
   * it), or still opening (the drain it asks for once live covers the change). Either way, if
   * the feed stops being continuous before it asks for a drain, it asks for one then.
   */
  take(db: string): boolean {
    const feed = this.keep(db);
    if (!feed || feed.state === 'failing') return false;
    feed.owes = true;
    return true;
  }

  /** Ends the feed of `db` (deleted, or evicted): it asks for a drain if it owes one. */
  drop(db: string): void {
    const feed = this.feeds.get(db);
    if (!feed) return;
    this.feeds.delete(db);
    feed.controller.abort();
    this.opts.onSize?.(this.feeds.size);
    this.settle(db, feed);
  }

  private keep(db: string): Feed | undefined {
    if (this.opts.size <= 0 || this.opts.signal.aborted) return undefined;
    const existing = this.feeds.get(db);
    if (existing) {
      this.recent(db, existing);
      return existing;
    }
    while (this.feeds.size >= this.opts.size) {
      const oldest = this.feeds.keys().next().value as string;
      this.drop(oldest);
    }
    const feed: Feed = { controller: new AbortController(), state: 'opening', owes: false };
    this.feeds.set(db, feed);
    this.opts.onSize?.(this.feeds.size);
    void this.follow(db, feed, AbortSignal.any([this.opts.signal, feed.controller.signal])).finally(() => {
      // Ended on its own (database gone, fatal error): free its place.
      if (this.feeds.get(db) === feed) this.drop(db);
    });
    return feed;
  }

  /** `feed` (still that of `db`) becomes the most recent; a change on it does this itself, so a feed ending does not reopen itself. */
  private recent(db: string, feed: Feed): void {
    if (this.feeds.get(db) !== feed) return;
    this.feeds.delete(db);
    this.feeds.set(db, feed);
  }

  /** The feed of `db` asks for a drain: whatever it took over so far is covered. */
  private report(db: string, feed: Feed): void {
    feed.owes = false;
    this.opts.onChange(db);
  }

  /** The feed stopped being continuous: a change it took over and did not report gets its drain. */
  private settle(db: string, feed: Feed): void {
    feed.state = 'failing';
    if (feed.owes && !this.opts.signal.aborted) this.report(db, feed);
  }

  private async follow(db: string, feed: Feed, signal: AbortSignal): Promise<void> {
    const { couch, logger, feedTimeoutMs } = this.opts;
    let since: unknown;
    /** `since` came from the server's answer to where the database is, and a drain covers what came before. */
    let anchored = false;
    let attempt = 0;
    while (!signal.aborted) {
      try {
        if (since === undefined) {
          // Where the database is now, answered at once (a longpoll from "now" would only say so on its first change).
          const position = (await couch.changes(db, { since: 'now', limit: 0, includeDocs: false, signal })).last_seq;
          if (signal.aborted) return;
          since = position ?? 'now';
          attempt = 0;
          anchored = since !== 'now';
          if (!anchored) {
            // A server that cannot spell the position: follow from "now", never covering anything.
            this.settle(db, feed);
            continue;
          }
          feed.state = 'live';
          this.report(db, feed);
          continue;
        }
        const page = await couch.changesLongpoll(db, { since, limit: ROWS_PER_POLL, timeoutMs: feedTimeoutMs, signal });
        if (signal.aborted) return;
        attempt = 0;
        // Back after failures: continuous from its last position, it reports what it missed.
        if (anchored) feed.state = 'live';
        if (page.results.length > 0) {
          this.recent(db, feed);
          this.report(db, feed);
        }
        since = page.last_seq;
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof CouchError ? err : new CouchError('transient', undefined, String(err));
        if (e.kind === 'db_not_found') {
          // Deleted: the caller's drain finds out and forgets it; a re-created one is touched again.
          this.report(db, feed);
          return;
        }
        this.settle(db, feed);
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
