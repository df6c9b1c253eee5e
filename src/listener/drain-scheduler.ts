import type { ReindexRequest } from '../sweep/reindex-request.js';

export interface DrainTask {
  /** Drop what the index holds for the database before reading it (it was deleted, maybe re-created). */
  forget: boolean;
  /** Re-read the whole database from the start and drop what it no longer holds (src/sweep). */
  reindex?: ReindexRequest[];
  /** Check first that the database is still the instance that was indexed (re-creation). */
  checkInstance?: boolean;
}

export interface DrainSchedulerOptions {
  concurrency: number;
  run: (db: string, task: DrainTask, signal: AbortSignal) => Promise<void>;
}

/**
 * Bounded pool of database drains. Each database is drained by at most one runner at a time;
 * a request for a database that is being drained makes it run once more afterwards, so no
 * notification is lost and no database is read twice concurrently. Memory is bounded by the
 * number of databases, not by the number of notifications.
 */
export class DrainScheduler {
  private readonly pending = new Map<string, DrainTask>();
  private readonly running = new Set<string>();
  private readonly controller = new AbortController();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly opts: DrainSchedulerOptions) {}

  request(db: string, task: Partial<DrainTask> = {}): void {
    if (this.controller.signal.aborted) return tellStopped(task);
    const previous = this.pending.get(db);
    const reindex = [...(previous?.reindex ?? []), ...(task.reindex ?? [])];
    const checkInstance = Boolean(previous?.checkInstance || task.checkInstance);
    this.pending.set(db, {
      forget: Boolean(previous?.forget || task.forget),
      ...(reindex.length > 0 ? { reindex } : {}),
      ...(checkInstance ? { checkInstance } : {}),
    });
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

  /** Aborts running drains and waits for them to stop. */
  async stop(): Promise<void> {
    this.controller.abort();
    // A reindex never run is answered, or a command would wait for it until its timeout.
    for (const task of this.pending.values()) tellStopped(task);
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

function tellStopped(task: Partial<DrainTask>): void {
  for (const r of task.reindex ?? []) r.done?.(new Error('the listener session ended before this reindex ran; ask again'));
}
