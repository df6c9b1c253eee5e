import { DbScheduler } from '../follower/db-scheduler.js';
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

/** Merges a drain request into the one waiting for the same database: forgets and checks add up, reindexes queue. */
export function mergeDrainTasks(previous: DrainTask | undefined, task: Partial<DrainTask>): DrainTask {
  const reindex = [...(previous?.reindex ?? []), ...(task.reindex ?? [])];
  const checkInstance = Boolean(previous?.checkInstance || task.checkInstance);
  return {
    forget: Boolean(previous?.forget || task.forget),
    ...(reindex.length > 0 ? { reindex } : {}),
    ...(checkInstance ? { checkInstance } : {}),
  };
}

/** A reindex never run is answered, or a command would wait for it until its timeout. */
export function tellStopped(task: Partial<DrainTask>): void {
  for (const r of task.reindex ?? []) r.done?.(new Error('the listener session ended before this reindex ran; ask again'));
}

/** The follower's per-database scheduler with numbers drain tasks (see DbScheduler). */
export class DrainScheduler extends DbScheduler<DrainTask> {
  constructor(opts: DrainSchedulerOptions) {
    super({ ...opts, merge: mergeDrainTasks, dropped: tellStopped });
  }
}
