import { accountDbName, accountIdFromDbName, isFollowedNumbersDb, isNumbersDbName } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient, DbUpdate } from '../couch/couch-client.js';
import { IndexLostError, LeaseLostError, type NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { DrainScheduler, type DrainTask } from './drain-scheduler.js';
import type { DbDrainer } from './db-drainer.js';
import { DbUpdatesWatcher } from './db-updates-watcher.js';
import { LiveFeeds } from './live-feeds.js';
import { DrainedStates, dbState } from './drained-states.js';
import { readDbStates } from './db-states.js';
import type { ListenerLease } from './lease.js';
import { listAccountIds } from './account-dbs.js';
import { startIndexMaintenance } from '../sweep/session-maintenance.js';

export interface FollowSessionOptions {
  couch: CouchClient;
  /** Fenced by the lease owner: every write is refused once another listener holds the lease. */
  index: NumberIndex;
  outbox: RebuildOutbox;
  queue: RebuildQueue;
  drainer: DbDrainer;
  lease: ListenerLease;
  logger: Logger;
  metrics: Metrics;
  drainConcurrency: number;
  rescanIntervalMs: number;
  /** Live _changes feeds on the numbers databases that changed last (0 = none; default 64). */
  liveFeeds?: number;
  pollIntervalMs: number;
  feedTimeoutMs: number;
  requestTimeoutMs: number;
  /** Anti-entropy sweep period (0 = off) and its read-rate bound (src/sweep). */
  sweepIntervalMs?: number;
  sweepMaxReadsPerS?: number;
}

export type SessionEnd =
  | { reason: 'stopped' }
  | { reason: 'lease_lost' }
  | { reason: 'index_lost' }
  /** Start-up failed on a transient error (CouchDB or Redis unreachable); retried with backoff. */
  | { reason: 'error'; error: Error }
  | { reason: 'fatal'; error: Error };

export interface SessionStatus {
  epoch?: string;
  bootstrapping: boolean;
  followed: string[];
  dbUpdates: 'following' | 'unavailable' | 'starting';
  /** Last time any feed request completed (drain, rescan or _db_updates). */
  lastPollAt: number;
  /** When this session started; readiness measures poll staleness from here until the first poll. */
  startedAt: number;
}

const NUMBERS_RANGE = ['numbers/', 'numbers/\ufff0'] as const;

/**
 * Everything the lease holder does while it holds the lease: discover numbers databases,
 * drain them into the index, follow _db_updates, rescan periodically. It ends on stop, on
 * losing the lease (a renewal refused or timed out, or an index write refused), when Redis
 * lost the index (the listener then starts a fresh session that replays from since=0), or on
 * a fatal CouchDB error (bad credentials / rights).
 */
export class FollowSession {
  private readonly controller = new AbortController();
  private readonly followed = new Set<string>();
  private readonly ignoredLogged = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly retryAttempts = new Map<string, number>();
  /** A reconcile under way (start, end of replay and rescans may all ask for one). */
  private reconciling: Promise<number | undefined> | undefined;
  /** Databases drained to their end (or forgotten) at least once in this session. */
  private readonly drainedOnce = new Set<string>();
  /** Account databases reported created whose rebuild request failed (retried by rescans). */
  private readonly createdUnrequested = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly scheduler: DrainScheduler;
  private readonly watcher: DbUpdatesWatcher;
  private readonly liveFeeds: LiveFeeds;
  /** What rescans may skip: database states a completed drain covered. */
  private readonly drainedStates = new DrainedStates();
  private watcherController = new AbortController();
  private epoch = '';
  private bootstrapping = false;
  private dbUpdatesState: SessionStatus['dbUpdates'] = 'starting';
  private lastDrainAt = 0;
  private lastRescanAt = 0;
  private readonly startedAt = Date.now();
  private endResolve!: (end: SessionEnd) => void;
  private readonly ended = new Promise<SessionEnd>((resolve) => (this.endResolve = resolve));

  constructor(private readonly opts: FollowSessionOptions) {
    this.scheduler = new DrainScheduler({ concurrency: opts.drainConcurrency, run: (db, task, signal) => this.runDrain(db, task, signal) });
    this.watcher = new DbUpdatesWatcher({
      couch: opts.couch,
      logger: opts.logger,
      metrics: opts.metrics,
      feedTimeoutMs: opts.feedTimeoutMs,
      onUpdate: (update) => this.onDbUpdate(update),
      onUnavailable: (reason) => this.startPolling(reason),
      onFatal: (error) => this.end({ reason: 'fatal', error }),
    });
    // Only wakes drains (the one path that commits); a change keeps the database's feed recent.
    this.liveFeeds = new LiveFeeds({
      couch: opts.couch,
      logger: opts.logger,
      size: opts.liveFeeds ?? 64,
      feedTimeoutMs: opts.feedTimeoutMs,
      signal: this.controller.signal,
      onChange: (db) => {
        this.scheduler.request(db);
        this.liveFeeds.touch(db);
      },
      onSize: (open) => opts.metrics.liveFeeds.set(open),
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  status(): SessionStatus {
    return {
      epoch: this.epoch || undefined,
      bootstrapping: this.bootstrapping,
      followed: [...this.followed].sort(),
      dbUpdates: this.dbUpdatesState,
      lastPollAt: Math.max(this.watcher.lastPollAt, this.lastDrainAt, this.lastRescanAt),
      startedAt: this.startedAt,
    };
  }

  /** Runs until the session ends (even while its start is stuck on a hung connection); never throws. */
  async run(): Promise<SessionEnd> {
    this.keepLease();
    this.start().catch((err: unknown) => this.endOnError(err, true));
    return this.ended;
  }

  async stop(): Promise<void> {
    this.end({ reason: 'stopped' });
    await this.scheduler.stop();
  }

  private async start(): Promise<void> {
    const { index, outbox, logger, metrics } = this.opts;
    const existing = await index.epoch();
    this.epoch = existing ?? (await index.resetEpoch());
    this.bootstrapping = !existing || !(await index.isReady());
    if (!existing) {
      metrics.indexResets.inc();
      logger.warn('no index in Redis (first start, or Redis lost its data): replaying every numbers database from the start');
    } else {
      logger.info({ checkpoints: (await index.checkpoints()).size, complete: !this.bootstrapping }, 'index found; resuming from checkpoints');
    }
    // During a replay, rebuilds would publish partial account docs; hold them until it is complete.
    if (this.bootstrapping) outbox.hold();
    else {
      await outbox.flush();
      await this.reconcileLeftPending();
    }

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
    startIndexMaintenance({
      ...this.opts,
      intervalMs: this.opts.sweepIntervalMs ?? 0,
      maxReadsPerS: this.opts.sweepMaxReadsPerS ?? 0,
      signal: this.signal,
      reindex: (db, request) => this.scheduler.request(db, { reindex: [request] }),
      databases: () => [...this.followed],
      ready: () => !this.bootstrapping,
    });

    if (this.bootstrapping) {
      await this.drainedOnceEach(initial);
      if (this.signal.aborted) return;
      // Ready and "reconcile pending" are set together: a session that stops before every
      // account was enqueued leaves the reconcile to the next one.
      await index.markReady(this.epoch);
      const flushed = await outbox.flush();
      this.bootstrapping = false;
      const accounts = await this.reconcileIfPending().catch((err: unknown) => this.endOnError(err));
      if (accounts !== undefined) logger.info({ dirtyAccounts: flushed, accountDbs: accounts }, 'index replay complete; reconciling every account');
    }
  }

  /** A reconcile an earlier session (or rescan) did not finish; a failure leaves it to the next rescan. */
  private async reconcileLeftPending(): Promise<void> {
    const accounts = await this.reconcileIfPending().catch((err: unknown) => this.endOnError(err));
    if (accounts !== undefined) this.opts.logger.info({ accountDbs: accounts }, 'pending reconcile done: every account database enqueued');
  }

  /**
   * Waits until each of `dbs` (every database found at start) was drained to its end once.
   * Not "until the drain pool is idle": a database that never stops changing would hold the
   * index unready forever.
   */
  private async drainedOnceEach(dbs: ReadonlySet<string>): Promise<void> {
    while (!this.signal.aborted && [...dbs].some((db) => !this.drainedOnce.has(db))) await abortableSleep(100, this.signal);
  }

  /**
   * Enqueues a rebuild of every account database if the reconcile after the replay of this
   * epoch is still pending, then clears the mark. Returns the number of accounts enqueued.
   */
  private reconcileIfPending(): Promise<number | undefined> {
    this.reconciling ??= this.reconcile().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async reconcile(): Promise<number | undefined> {
    const { index, couch, queue } = this.opts;
    if (!(await index.reconcilePending(this.epoch))) return undefined;
    const accounts = await listAccountIds(couch, this.signal);
    await queue.request(accounts);
    await index.finishReconcile(this.epoch);
    return accounts.length;
  }

  private runWatcher(position: unknown): void {
    this.watcherController = new AbortController();
    const signal = AbortSignal.any([this.signal, this.watcherController.signal]);
    void this.watcher.run(position, signal);
    // Watchdog: a feed that has not completed a poll for well over its timeout is restarted.
    const limit = this.opts.feedTimeoutMs + this.opts.requestTimeoutMs + 5000;
    const timer = setInterval(() => {
      if (this.dbUpdatesState !== 'following' || Date.now() - this.watcher.lastPollAt < limit) return;
      clearInterval(timer);
      this.opts.logger.warn('_db_updates feed stalled; restarting it');
      this.opts.metrics.feedErrors.inc({ kind: 'stalled' });
      this.watcherController.abort();
      this.runWatcher(this.watcher.lastSeq);
    }, Math.min(limit, 10_000));
    timer.unref();
    this.timers.push(timer);
  }

  private startPolling(reason: string): void {
    if (this.dbUpdatesState === 'unavailable') return;
    this.dbUpdatesState = 'unavailable';
    this.opts.logger.warn({ reason }, '_db_updates unavailable; polling every followed database instead');
    this.every(this.opts.pollIntervalMs, async () => {
      for (const db of this.followed) this.scheduler.request(db);
    });
  }

  private onDbUpdate(update: DbUpdate): void {
    const name = update.db_name;
    if (isFollowedNumbersDb(name)) {
      if (update.type === 'deleted') this.followed.delete(name);
      else this.followed.add(name);
      // A created database may reuse the name of one deleted unnoticed: it is re-indexed, which
      // removes what the old one held only after reading the new one (forgetting first would
      // empty its accounts' docs meanwhile, and CouchDB 3 may report `created` late, batched).
      if (update.type === 'created') this.scheduler.request(name, { reindex: [{ reason: 'created' }] });
      else this.scheduler.request(name, { forget: update.type === 'deleted' });
      if (update.type === 'deleted') this.liveFeeds.drop(name);
      else this.liveFeeds.touch(name);
      this.opts.metrics.followedDbs.set(this.followed.size);
    } else if (isNumbersDbName(name)) {
      this.logIgnored(name);
    } else if (update.type === 'created') {
      const accountId = accountIdFromDbName(name);
      if (accountId) void this.accountDbCreated(accountId).catch((err: unknown) => this.endOnError(err));
    }
  }

  private logIgnored(name: string): void {
    if (this.ignoredLogged.has(name)) return;
    this.ignoredLogged.add(name);
    this.opts.logger.info({ db: name }, 'not a numbers/+NNNN database (e.g. carrier inventory); ignored');
  }

  /**
   * An account database was created: new, re-created (deleted and created again while we ran,
   * its phone_numbers doc gone) or one that was missing. Rebuild it whatever the missing set
   * says; a re-created database holds none of the revs the doc cache remembers.
   */
  private async accountDbCreated(accountId: string): Promise<void> {
    const { index, queue, logger } = this.opts;
    await index.forgetDocs([accountId]);
    await index.removeMissingAccount(accountId);
    logger.info({ account: accountId }, 'account database appeared; rebuilding');
    try {
      await queue.request([accountId]);
      this.createdUnrequested.delete(accountId);
    } catch (err) {
      // Nothing else would ask again: every rescan re-checks these, and the missing set (kept
      // across sessions, when Redis still takes that write).
      this.createdUnrequested.add(accountId);
      await index.addMissingAccount(accountId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Lists numbers databases, drains those whose state changed since they were last drained
   * (all of them when the server has no _dbs_info) and forgets those that disappeared; then
   * delivers what the outbox still holds and a reconcile left pending. Returns the databases
   * it requested drains of.
   */
  private async rescan(): Promise<Set<string>> {
    const { couch, index, metrics } = this.opts;
    const names = await couch.listDbs(NUMBERS_RANGE[0], NUMBERS_RANGE[1], this.signal);
    this.lastRescanAt = Date.now();
    const present = new Set<string>();
    for (const name of names) {
      if (isFollowedNumbersDb(name)) present.add(name);
      else this.logIgnored(name);
    }
    const known = new Set([...this.followed, ...(await index.checkpoints()).keys()]);
    const requested = new Set(present);
    for (const db of known) {
      if (!present.has(db)) {
        this.followed.delete(db);
        this.scheduler.request(db, { forget: true });
        requested.add(db);
      }
    }
    const states = await readDbStates(couch, [...present], this.signal);
    for (const db of present) {
      const state = states?.get(db);
      if (state === 'not_found') {
        // Deleted since it was listed: forgotten as when the list lacks it.
        this.followed.delete(db);
        this.scheduler.request(db, { forget: true });
        continue;
      }
      this.followed.add(db);
      if (state && this.drainedStates.unchanged(db, dbState(state))) {
        requested.delete(db);
        metrics.rescanDbs.inc({ outcome: 'skipped' });
        continue;
      }
      metrics.rescanDbs.inc({ outcome: 'drained' });
      this.scheduler.request(db, { checkInstance: true });
      // Changed since drained yet unreported (_db_updates missed it): active, worth a live feed.
      if (state && this.drainedStates.drained(db)) this.liveFeeds.touch(db);
    }
    metrics.followedDbs.set(this.followed.size);
    await this.recheckMissingAccounts();
    if (!this.bootstrapping) {
      await this.opts.outbox.flushIfReleased();
      await this.reconcileLeftPending();
    }
    return requested;
  }

  private async recheckMissingAccounts(): Promise<void> {
    const { couch, index } = this.opts;
    for (const accountId of new Set([...this.createdUnrequested, ...(await index.missingAccounts())])) {
      if (await couch.dbExists(accountDbName(accountId), this.signal)) await this.accountDbCreated(accountId);
      else this.createdUnrequested.delete(accountId);
    }
  }

  private async runDrain(db: string, task: DrainTask, signal: AbortSignal): Promise<void> {
    const { drainer, logger, metrics } = this.opts;
    // A state read before this drain started is covered once it completes (it reads to the end).
    const covers = task.forget ? undefined : this.drainedStates.drainStarts(db);
    if (task.forget) this.drainedStates.forget(db);
    try {
      await drainer.run(this.epoch, db, task, signal);
      if (signal.aborted) return;
      this.drainedStates.drainCompleted(db, covers);
      this.lastDrainAt = Date.now();
      this.retryAttempts.delete(db);
      this.drainedOnce.add(db);
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof CouchError && err.kind === 'db_not_found') {
        this.followed.delete(db);
        this.drainedStates.forget(db);
        this.liveFeeds.drop(db);
        await drainer
          .forget(this.epoch, db)
          .then(() => this.drainedOnce.add(db))
          .catch((e: unknown) => this.endOnError(e));
        return;
      }
      if (err instanceof IndexLostError || err instanceof LeaseLostError || (err instanceof CouchError && err.fatal)) return this.endOnError(err);
      const attempt = this.retryAttempts.get(db) ?? 0;
      this.retryAttempts.set(db, attempt + 1);
      const delay = backoffDelay(attempt);
      metrics.feedErrors.inc({ kind: err instanceof CouchError ? err.kind : 'other' });
      logger.warn({ db, err: err instanceof Error ? err.message : String(err), retryInMs: delay }, 'draining numbers database failed; retrying');
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

  /**
   * Renews the lease every TTL/3; each renewal times out (ListenerLease), so a hung connection
   * cannot keep the session alive: once no renewal succeeded for a TTL the session ends.
   */
  private keepLease(): void {
    const { lease, logger } = this.opts;
    let lastRenewed = Date.now();
    this.every(Math.max(100, Math.floor(lease.ttlMs / 3)), async () => {
      try {
        if (await lease.renew()) lastRenewed = Date.now();
        else this.end({ reason: 'lease_lost' });
      } catch (err) {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not renew the listener lease');
        if (Date.now() - lastRenewed >= lease.ttlMs) this.end({ reason: 'lease_lost' });
      }
    });
  }

  /** Runs `task` every `ms` without overlapping runs; failures end or are logged like drain errors. */
  private every(ms: number, task: () => Promise<void>): void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy || this.signal.aborted) return;
      busy = true;
      task()
        .catch((err: unknown) => this.endOnError(err))
        .finally(() => (busy = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private endOnError(err: unknown, duringStart = false): void {
    if (this.signal.aborted) return;
    if (err instanceof IndexLostError) return this.end({ reason: 'index_lost' });
    if (err instanceof LeaseLostError) return this.end({ reason: 'lease_lost' });
    if (err instanceof CouchError && err.fatal) return this.end({ reason: 'fatal', error: err });
    const error = err instanceof Error ? err : new Error(String(err));
    if (duringStart) return this.end({ reason: 'error', error });
    // Later failures (a rescan while CouchDB or Redis is briefly away) are retried by the next tick.
    this.opts.metrics.feedErrors.inc({ kind: err instanceof CouchError ? err.kind : 'other' });
    this.opts.logger.warn({ err: error.message }, 'listener step failed; will retry');
  }

  private end(end: SessionEnd): void {
    if (this.signal.aborted) return;
    this.controller.abort();
    this.opts.metrics.liveFeeds.set(0);
    for (const timer of this.timers) clearInterval(timer);
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.endResolve(end);
  }
}
