import { CouchError } from '../couch/couch-error.js';
import type { CouchClient, DbUpdate } from '../couch/couch-client.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { repeatEvery } from '../util/repeat-every.js';
import { DbScheduler } from './db-scheduler.js';
import { DbUpdatesWatcher } from './db-updates-watcher.js';
import { LiveFeeds } from './live-feeds.js';
import { DrainedStates, dbState } from './drained-states.js';
import { readDbStates } from './db-states.js';

/**
 * What the follower tells its consumer. The four database events return the task to run for
 * that database (merged with any task waiting for it; undefined: run nothing); the follower
 * runs it through its scheduler and retries it with backoff when `run` throws.
 */
export interface FollowerCallbacks<T> {
  /** A rescan listed this followed database (every rescan, for each one). */
  dbFound(db: string): Partial<T> | undefined;
  /** _db_updates reported this followed database created. */
  dbCreated(db: string): Partial<T> | undefined;
  /** _db_updates reported it deleted, or a rescan no longer lists a database followed or `remembered`. */
  dbDeleted(db: string): Partial<T> | undefined;
  /** _db_updates reported it updated; while _db_updates is unavailable, every poll tick. */
  dbChanged(db: string): Partial<T> | undefined;
  /**
   * Any other database: a _db_updates event of a name `follows` refuses (type as CouchDB
   * spells it), or a name in the key range that `follows` refuses, listed by a rescan ('found').
   */
  otherDbEvent?(name: string, type: string): void;
  /**
   * Runs one task of `db`. A rejection is retried with backoff (plain `{}` request) unless
   * `signal` or the follower's signal was aborted meanwhile; 'gone' says the database no
   * longer exists (it is unfollowed).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most runs resolve with nothing; 'gone' is the one answer
  run(db: string, task: T, signal: AbortSignal): Promise<void | 'gone'>;
  /** Databases the consumer holds state for besides those followed: a rescan that does not list one reports it deleted. */
  remembered?(): Promise<Iterable<string>>;
  /** After each rescan (awaited: a rejection fails the rescan). */
  rescanned?(): Promise<void>;
  /** A background step failed (a periodic rescan, a fatal _db_updates error); it is not retried before the next tick. */
  failed(err: unknown): void;
}

export interface MultiDbFollowerOptions<T> {
  couch: CouchClient;
  logger: Logger;
  metrics: Metrics;
  /** `_all_dbs` key range a rescan lists ([startkey, endkey]). */
  range: readonly [string, string];
  /** Which databases are followed (in the range, or reported by _db_updates). */
  follows: (db: string) => boolean;
  /** What a followed database is, for logs ("numbers database"). */
  dbKind: string;
  concurrency: number;
  rescanIntervalMs: number;
  /** Live _changes feeds on the databases that changed last (0 = none; default 64). */
  liveFeeds?: number;
  pollIntervalMs: number;
  feedTimeoutMs: number;
  requestTimeoutMs: number;
  /** Merges a request into the task waiting for the same database; `dropped` is told of those a stop drops. */
  merge: (waiting: T | undefined, request: Partial<T>) => T;
  dropped?: (request: Partial<T>) => void;
  /** The follower's lifetime: once aborted, no timer fires and no task is retried. */
  signal: AbortSignal;
  callbacks: FollowerCallbacks<T>;
}

export interface FollowerStatus {
  followed: string[];
  dbUpdates: 'following' | 'unavailable' | 'starting';
  /** Last time any feed request completed (a task, a rescan or a _db_updates poll). */
  lastPollAt: number;
}

/**
 * Follows every database of a key range, like CouchDB's couch_multidb_changes: finds them by
 * listing the range (at start and every rescanIntervalMs), hears of new, changed and deleted
 * ones from _db_updates (restarted by a watchdog when it stalls; replaced by polling every
 * followed database when the server has none), and runs the consumer's per-database tasks in
 * a bounded pool, retrying failed ones with backoff. It knows nothing of what the tasks do.
 */
export class MultiDbFollower<T> {
  private readonly followedDbs = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryAttempts = new Map<string, number>();
  private readonly scheduler: DbScheduler<T>;
  private readonly watcher: DbUpdatesWatcher;
  private readonly liveFeeds: LiveFeeds;
  /** What rescans may skip: database states a completed task covered. */
  private readonly drainedStates = new DrainedStates();
  private watcherController = new AbortController();
  private dbUpdatesState: FollowerStatus['dbUpdates'] = 'starting';
  private lastRunAt = 0;
  private lastRescanAt = 0;

  constructor(private readonly opts: MultiDbFollowerOptions<T>) {
    this.scheduler = new DbScheduler({
      concurrency: opts.concurrency,
      merge: opts.merge,
      dropped: opts.dropped,
      run: (db, task, signal) => this.runTask(db, task, signal),
    });
    this.watcher = new DbUpdatesWatcher({
      couch: opts.couch,
      logger: opts.logger,
      metrics: opts.metrics,
      feedTimeoutMs: opts.feedTimeoutMs,
      onUpdate: (update) => this.onDbUpdate(update),
      onUnavailable: (reason) => this.startPolling(reason),
      onFatal: (error) => opts.callbacks.failed(error),
    });
    // Only wakes tasks (the consumer's run is the one path that reads); a feed keeps itself recent on a change.
    this.liveFeeds = new LiveFeeds({
      couch: opts.couch,
      logger: opts.logger,
      size: opts.liveFeeds ?? 64,
      feedTimeoutMs: opts.feedTimeoutMs,
      signal: opts.signal,
      onChange: (db) => {
        if (!this.followedDbs.has(db)) return;
        this.schedule(db, opts.callbacks.dbChanged(db));
      },
      onSize: (open) => opts.metrics.liveFeeds.set(open),
    });
    opts.signal.addEventListener(
      'abort',
      () => {
        this.clearRetries();
        opts.metrics.liveFeeds.set(0);
      },
      { once: true },
    );
  }

  private get signal(): AbortSignal {
    return this.opts.signal;
  }

  status(): FollowerStatus {
    return {
      followed: this.followed(),
      dbUpdates: this.dbUpdatesState,
      lastPollAt: Math.max(this.watcher.lastPollAt, this.lastRunAt, this.lastRescanAt),
    };
  }

  followed(): string[] {
    return [...this.followedDbs].sort();
  }

  /** Asks for a task of `db` outside the follower's own events (merged with any task waiting for it). */
  request(db: string, task: Partial<T> = {}): void {
    this.scheduler.request(db, task);
  }

  /**
   * Takes the _db_updates position, lists the range (so nothing created in between is missed),
   * then follows _db_updates and rescans periodically. Resolves with the first rescan's
   * databases (see rescan); rejects when the first rescan fails or CouchDB refuses us.
   */
  async start(): Promise<Set<string>> {
    let position: unknown;
    try {
      position = await this.watcher.position(this.signal);
    } catch (err) {
      if (err instanceof CouchError && err.fatal) throw err;
      this.startPolling(err instanceof Error ? err.message : String(err));
    }
    const initial = await this.rescan();
    if (position !== undefined) {
      this.dbUpdatesState = 'following';
      this.runWatcher(position);
    }
    this.every(this.opts.rescanIntervalMs, async () => void (await this.rescan()));
    return initial;
  }

  /** Aborts running tasks and waits for them (the owner aborts `signal` first). */
  async stop(): Promise<void> {
    this.clearRetries();
    await this.scheduler.stop();
  }

  /**
   * Lists the range: reports every followed database found whose `_dbs_info` state changed
   * since a task covered it (every one when the server has no `_dbs_info`), and every one
   * followed or remembered that is gone as deleted. Returns the databases it reported.
   */
  async rescan(): Promise<Set<string>> {
    const { couch, metrics, range, follows, callbacks } = this.opts;
    const names = await couch.listDbs(range[0], range[1], this.signal);
    this.lastRescanAt = Date.now();
    const present = new Set<string>();
    for (const name of names) {
      if (follows(name)) present.add(name);
      else callbacks.otherDbEvent?.(name, 'found');
    }
    const known = new Set([...this.followedDbs, ...((await callbacks.remembered?.()) ?? [])]);
    const reported = new Set(present);
    for (const db of known) {
      if (present.has(db)) continue;
      this.unfollow(db);
      this.schedule(db, callbacks.dbDeleted(db));
      reported.add(db);
    }
    const states = await readDbStates(couch, [...present], this.signal);
    for (const db of present) {
      const state = states?.get(db);
      if (state === 'not_found') {
        // Deleted since it was listed: as when the list lacks it.
        this.unfollow(db);
        this.schedule(db, callbacks.dbDeleted(db));
        continue;
      }
      this.followedDbs.add(db);
      if (state && this.drainedStates.unchanged(db, dbState(state))) {
        reported.delete(db);
        metrics.rescanDbs.inc({ outcome: 'skipped' });
        continue;
      }
      metrics.rescanDbs.inc({ outcome: 'drained' });
      this.schedule(db, callbacks.dbFound(db));
      // Changed since covered yet unreported (_db_updates missed it): active, worth a live feed.
      if (state && this.drainedStates.drained(db)) this.liveFeeds.touch(db);
    }
    metrics.followedDbs.set(this.followedDbs.size);
    await callbacks.rescanned?.();
    return reported;
  }

  /** One _db_updates event: followed databases are (un)followed and their task scheduled. */
  onDbUpdate(update: DbUpdate): void {
    const { follows, callbacks, metrics } = this.opts;
    const name = update.db_name;
    if (!follows(name)) return callbacks.otherDbEvent?.(name, update.type);
    if (update.type === 'deleted') {
      this.unfollow(name);
      this.schedule(name, callbacks.dbDeleted(name));
    } else {
      this.followedDbs.add(name);
      if (update.type === 'created') {
        this.schedule(name, callbacks.dbCreated(name));
        this.liveFeeds.touch(name);
      } else if (!this.liveFeeds.take(name)) {
        // No live feed covers the change (none yet asks for its drain): drain it now.
        this.schedule(name, callbacks.dbChanged(name));
      }
    }
    metrics.followedDbs.set(this.followedDbs.size);
  }

  /** Deleted: no feed, nothing of it covered. */
  private unfollow(db: string): void {
    this.followedDbs.delete(db);
    this.drainedStates.forget(db);
    this.liveFeeds.drop(db);
  }

  private schedule(db: string, task: Partial<T> | undefined): void {
    if (task !== undefined) this.scheduler.request(db, task);
  }

  private runWatcher(position: unknown): void {
    this.watcherController = new AbortController();
    const signal = AbortSignal.any([this.signal, this.watcherController.signal]);
    void this.watcher.run(position, signal);
    // Watchdog: a feed that has not completed a poll for well over its timeout is restarted.
    const limit = this.opts.feedTimeoutMs + this.opts.requestTimeoutMs + 5000;
    const watchdog = new AbortController();
    const timer = setInterval(
      () => {
        if (this.dbUpdatesState !== 'following' || Date.now() - this.watcher.lastPollAt < limit) return;
        watchdog.abort();
        this.opts.logger.warn('_db_updates feed stalled; restarting it');
        this.opts.metrics.feedErrors.inc({ kind: 'stalled' });
        this.watcherController.abort();
        this.runWatcher(this.watcher.lastSeq);
      },
      Math.min(limit, 10_000),
    );
    timer.unref();
    AbortSignal.any([this.signal, watchdog.signal]).addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  private startPolling(reason: string): void {
    if (this.dbUpdatesState === 'unavailable') return;
    this.dbUpdatesState = 'unavailable';
    this.opts.logger.warn({ reason }, '_db_updates unavailable; polling every followed database instead');
    this.every(this.opts.pollIntervalMs, async () => {
      for (const db of this.followedDbs) this.schedule(db, this.opts.callbacks.dbChanged(db));
    });
  }

  private async runTask(db: string, task: T, signal: AbortSignal): Promise<void> {
    const { logger, metrics, dbKind } = this.opts;
    // A state read before this task started is covered once it completes (a task reads to the end).
    const covers = this.drainedStates.drainStarts(db);
    try {
      const outcome = await this.opts.callbacks.run(db, task, signal);
      if (signal.aborted || this.signal.aborted) return;
      if (outcome === 'gone') {
        this.unfollow(db);
        return;
      }
      if (this.followedDbs.has(db)) this.drainedStates.drainCompleted(db, covers);
      this.lastRunAt = Date.now();
      this.retryAttempts.delete(db);
    } catch (err) {
      if (signal.aborted || this.signal.aborted) return;
      const attempt = this.retryAttempts.get(db) ?? 0;
      this.retryAttempts.set(db, attempt + 1);
      const delay = backoffDelay(attempt);
      metrics.feedErrors.inc({ kind: err instanceof CouchError ? err.kind : 'other' });
      logger.warn({ db, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, `draining ${dbKind} failed; retrying`);
      this.retryLater(db, delay);
    }
  }

  private retryLater(db: string, delay: number): void {
    if (this.retryTimers.has(db)) return;
    const timer = setTimeout(() => {
      this.retryTimers.delete(db);
      this.scheduler.request(db);
    }, delay);
    timer.unref();
    this.retryTimers.set(db, timer);
  }

  private clearRetries(): void {
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private every(ms: number, task: () => Promise<void>): void {
    repeatEvery(ms, this.signal, task, (err) => this.opts.callbacks.failed(err));
  }
}
