/**
 * Which numbers databases a rescan may skip: those whose state (`update_seq` and `purge_seq`
 * from `_dbs_info`) equals one already covered by a drain. Seqs are opaque on CouchDB 3, so
 * they are only compared for equality. A state read by a rescan counts as covered only once a
 * drain that STARTED after that read has completed (drains read to the end of the feed, so
 * such a drain applied every change up to that state). Pure bookkeeping, one per session.
 */
export class DrainedStates {
  /** Last state read by a rescan, not yet covered by a drain. */
  private readonly read = new Map<string, string>();
  /** State covered by a completed drain. */
  private readonly covered = new Map<string, string>();

  /** True when `state` (as read now) is already covered: no drain needed. */
  unchanged(db: string, state: string): boolean {
    if (this.covered.get(db) === state) return true;
    this.read.set(db, state);
    return false;
  }

  /** True once a drain covered some state of `db` (a later difference is a change since). */
  drained(db: string): boolean {
    return this.covered.has(db);
  }

  /** A drain of `db` starts: returns what its completion will cover. */
  drainStarts(db: string): string | undefined {
    return this.read.get(db);
  }

  /** The drain that started with `token` read `db` to its end. */
  drainCompleted(db: string, token: string | undefined): void {
    if (token === undefined) return;
    this.covered.set(db, token);
    if (this.read.get(db) === token) this.read.delete(db);
  }

  /** `db` is gone or was re-indexed from scratch elsewhere: nothing of it is covered. */
  forget(db: string): void {
    this.read.delete(db);
    this.covered.delete(db);
  }
}

/** A database's state as compared by DrainedStates (opaque values, kept as they are). */
export function dbState(info: { updateSeq: unknown; purgeSeq: unknown }): string {
  return JSON.stringify([info.updateSeq, info.purgeSeq]);
}
