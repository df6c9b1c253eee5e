// Holds _db_updates events back and publishes them in batches, as CouchDB's global_changes does.
import type { DbUpdatesLog } from './db-updates-log.js';
import type { DbEventType } from './registry.js';

/**
 * CouchDB 3 buffers database events in memory and writes them to `_global_changes` every
 * `[global_changes] max_write_delay` ms (500 by default), so a `_db_updates` reader sees an
 * event up to that long after the write, and a burst as one batch. Events repeated within a
 * batch count once, at their latest place (the log coalesces them the same way).
 */
export class DbUpdatesBatcher {
  private readonly pending = new Map<string, { name: string; type: DbEventType }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: DbUpdatesLog,
    private readonly delayMs: number,
  ) {}

  record(name: string, type: DbEventType): void {
    if (this.delayMs <= 0) return this.log.record(name, type);
    const key = `${type}:${name}`;
    this.pending.delete(key); // keeps the batch in order of last occurrence
    this.pending.set(key, { name, type });
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Publishes what is held (also on close, so a clean shutdown loses nothing in flight). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    for (const { name, type } of batch) this.log.record(name, type);
  }

  close(): void {
    this.flush();
  }
}
