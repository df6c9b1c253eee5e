export interface DbSchedulerOptions<T> {
  concurrency: number;
  run: (db: string, task: T, signal: AbortSignal) => Promise<void>;
  /** Folds a request into the task already waiting for the same database (none: the first request). */
  merge: (waiting: T | undefined, request: Partial<T>) => T;
  /** Told of a request dropped because the scheduler stopped (e.g. to answer whoever waits for it). */
  dropped?: (request: Partial<T>) => void;
}

/**
 * Bounded pool of per-database tasks. Each database is run by at most one runner at a time;
 * a request for a database that is running makes it run once more afterwards, so no
 * notification is lost and no database is read twice concurrently. Requests that wait for
 * the same database are merged, so memory is bounded by the number of databases, not by the
 * number of notifications.
 */
export class DbScheduler<T> {
  private readonly pending = new Map<string, T>();
  private readonly running = new Set<string>();
  private readonly controller = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: DbSchedulerOptions<T>) {}

  request(db: string, task: Partial<T> = {}): void {
    if (this.controller.signal.aborted) return this.opts.dropped?.(task);
    this.pending.set(db, this.opts.merge(this.pending.get(db), task));
    this.pump();
  }

  get size(): { pending: number; running: number } {
    return { pending: this.pending.size, running: this.running.size };
  }

  /** Resolves when nothing is pending or running. */
  idle(): Promise<void> {
    if (this.pending.size === 0 && this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Aborts running tasks and waits for them to stop; pending ones are dropped. */
  async stop(): Promise<void> {
    this.controller.abort();
    for (const task of this.pending.values()) this.opts.dropped?.(task);
    this.pending.clear();
    await this.idle();
  }

  private pump(): void {
    for (const [db, task] of this.pending) {
      if (this.running.size >= this.opts.concurrency) return;
      if (this.running.has(db)) continue;
      this.pending.delete(db);
      this.running.add(db);
      void this.opts
        .run(db, task, this.controller.signal)
        .catch(() => undefined)
        .finally(() => {
          this.running.delete(db);
          this.pump();
          if (this.pending.size === 0 && this.running.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const resolve of waiters) resolve();
          }
        });
    }
  }
}
