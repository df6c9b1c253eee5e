import { accountIdFromDbName, isFollowedNumbersDb, isNumbersDbName } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import { IndexLostError, LeaseLostError, type NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { MultiDbFollower, type FollowerCallbacks, type FollowerStatus } from '../follower/multi-db-follower.js';
import { mergeDrainTasks, tellStopped, type DrainTask } from './drain-scheduler.js';
import type { DbDrainer } from './db-drainer.js';
import { listAccountIds } from './account-dbs.js';
import { AccountDbEvents } from './account-db-events.js';
import { startIndexMaintenance } from '../sweep/session-maintenance.js';

export interface NumbersPolicyOptions {
  couch: CouchClient;
  /** Fenced by the lease owner: every write is refused once another listener holds the lease. */
  index: NumberIndex;
  outbox: RebuildOutbox;
  queue: RebuildQueue;
  drainer: DbDrainer;
  logger: Logger;
  metrics: Metrics;
  drainConcurrency: number;
  rescanIntervalMs: number;
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

export interface SessionStatus extends FollowerStatus {
  epoch?: string;
  bootstrapping: boolean;
  /** When this session started; readiness measures poll staleness from here until the first poll. */
  startedAt: number;
}

const NUMBERS_RANGE = ['numbers/', 'numbers/\ufff0'] as const;

/**
 * One follow session: what the lease holder does with the numbers databases a MultiDbFollower
 * follows for it. Each database event becomes a drain task (drain, forget, reindex, instance
 * check) run by the DbDrainer; around them, the epoch and the replay (outbox held until every
 * database was drained once), the reconcile of every account, account databases created or
 * missing, and index maintenance (sweep, reindex commands). It ends on stop, on losing the
 * lease (an index write refused, or the listener's renewal failing), when Redis lost the index
 * (the listener then starts a fresh session that replays from since=0), or on a fatal CouchDB
 * error (bad credentials / rights).
 */
export class NumbersPolicy {
  private readonly controller = new AbortController();
  private readonly ignoredLogged = new Set<string>();
  /** A reconcile under way (start, end of replay and rescans may all ask for one). */
  private reconciling: Promise<number | undefined> | undefined;
  /** Databases drained to their end (or forgotten) at least once in this session. */
  private readonly drainedOnce = new Set<string>();
  private readonly accountDbs: AccountDbEvents;
  private readonly follower: MultiDbFollower<DrainTask>;
  private epoch = '';
  private bootstrapping = false;
  private readonly startedAt = Date.now();
  private endResolve!: (end: SessionEnd) => void;
  private readonly ended = new Promise<SessionEnd>((resolve) => (this.endResolve = resolve));

  constructor(private readonly opts: NumbersPolicyOptions) {
    this.accountDbs = new AccountDbEvents(opts);
    const { couch, logger, metrics, rescanIntervalMs, pollIntervalMs, feedTimeoutMs, requestTimeoutMs } = opts;
    this.follower = new MultiDbFollower<DrainTask>({
      couch,
      logger,
      metrics,
      rescanIntervalMs,
      pollIntervalMs,
      feedTimeoutMs,
      requestTimeoutMs,
      range: NUMBERS_RANGE,
      follows: isFollowedNumbersDb,
      dbKind: 'numbers database',
      concurrency: opts.drainConcurrency,
      merge: mergeDrainTasks,
      dropped: tellStopped,
      signal: this.signal,
      callbacks: this.callbacks(),
    });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  status(): SessionStatus {
    return { epoch: this.epoch || undefined, bootstrapping: this.bootstrapping, ...this.follower.status(), startedAt: this.startedAt };
  }

  /** Runs until the session ends (even while its start is stuck on a hung connection); never throws. */
  async run(): Promise<SessionEnd> {
    this.start().catch((err: unknown) => this.endOnError(err, true));
    return this.ended;
  }

  async stop(): Promise<void> {
    this.end({ reason: 'stopped' });
    await this.follower.stop();
  }

  /** The listener's lease renewal was refused, or none succeeded for a TTL. */
  leaseLost(): void {
    this.end({ reason: 'lease_lost' });
  }

  /** What each follower event asks of the drainer. */
  private callbacks(): FollowerCallbacks<DrainTask> {
    return {
      // Each rescan (the first included) checks the database is still the instance indexed.
      dbFound: () => ({ checkInstance: true }),
      // A created database may reuse the name of one deleted unnoticed: it is re-indexed, which
      // removes what the old one held only after reading the new one (forgetting first would
      // empty its accounts' docs meanwhile, and CouchDB 3 may report `created` late, batched).
      dbCreated: () => ({ reindex: [{ reason: 'created' }] }),
      dbDeleted: () => ({ forget: true }),
      dbChanged: () => ({ forget: false }),
      otherDbEvent: (name, type) => this.otherDbEvent(name, type),
      run: (db, task, signal) => this.runDrain(db, task, signal),
      // Databases with a checkpoint that are gone are forgotten.
      remembered: async () => (await this.opts.index.checkpoints()).keys(),
      rescanned: () => this.afterRescan(),
      failed: (err) => this.endOnError(err),
    };
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

    const initial = await this.follower.start();
    startIndexMaintenance({
      ...this.opts,
      intervalMs: this.opts.sweepIntervalMs ?? 0,
      maxReadsPerS: this.opts.sweepMaxReadsPerS ?? 0,
      signal: this.signal,
      reindex: (db, request) => this.follower.request(db, { reindex: [request] }),
      databases: () => this.follower.followed(),
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

  /** Other numbers/ names are logged once; account databases created are rebuilt. */
  private otherDbEvent(name: string, type: string): void {
    if (isNumbersDbName(name)) return this.logIgnored(name);
    if (type !== 'created') return;
    const accountId = accountIdFromDbName(name);
    if (accountId) void this.accountDbs.created(accountId).catch((err: unknown) => this.endOnError(err));
  }

  private logIgnored(name: string): void {
    if (this.ignoredLogged.has(name)) return;
    this.ignoredLogged.add(name);
    this.opts.logger.info({ db: name }, 'not a numbers/+NNNN database (e.g. carrier inventory); ignored');
  }

  /** After each rescan: missing accounts re-checked; then what the outbox holds and a pending reconcile. */
  private async afterRescan(): Promise<void> {
    await this.accountDbs.recheck(this.signal);
    if (!this.bootstrapping) {
      await this.opts.outbox.flushIfReleased();
      await this.reconcileLeftPending();
    }
  }

  /**
   * One drain task. A database gone (404) is forgotten here; the index or lease lost and fatal
   * CouchDB errors end the session; anything else rejects, and the follower retries it.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most runs resolve with nothing; 'gone' is the one answer
  private async runDrain(db: string, task: DrainTask, signal: AbortSignal): Promise<void | 'gone'> {
    const { drainer } = this.opts;
    try {
      await drainer.run(this.epoch, db, task, signal);
      if (!signal.aborted) this.drainedOnce.add(db);
    } catch (err) {
      if (signal.aborted) throw err;
      if (err instanceof CouchError && err.kind === 'db_not_found') {
        await drainer
          .forget(this.epoch, db)
          .then(() => this.drainedOnce.add(db))
          .catch((e: unknown) => this.endOnError(e));
        return 'gone';
      }
      if (err instanceof IndexLostError || err instanceof LeaseLostError || (err instanceof CouchError && err.fatal)) this.endOnError(err);
      throw err;
    }
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
    this.endResolve(end);
  }
}
