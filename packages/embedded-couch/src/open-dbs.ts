// The open PouchDB instances, at most `capacity` of them idle: each open leveldb database holds
// ~4 file descriptors, so thousands of databases open forever exhaust `ulimit -n`.

export interface Closable {
  close(): Promise<unknown>;
}

interface Entry<T> {
  db: T;
  /** Requests using it now; only idle (0) entries are closed. */
  users: number;
}

/**
 * One instance per name, least recently used first. An instance in use is never closed; when
 * more than `capacity` are open, the least recently used idle ones are. A name being closed is
 * reopened only once its close has finished (leveldb's LOCK is per process and directory).
 */
export class OpenDbs<T extends Closable> {
  private readonly open = new Map<string, Entry<T>>();
  private readonly closing = new Map<string, Promise<void>>();

  constructor(
    private readonly instantiate: (name: string) => T,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** The instance, opened if needed, marked in use until `release` is called (exactly once). */
  async acquire(name: string): Promise<{ db: T; release: () => void }> {
    for (let pending = this.closing.get(name); pending; pending = this.closing.get(name)) await pending;
    let entry = this.open.get(name);
    if (entry)
      this.open.delete(name); // re-inserted below: most recently used
    else entry = { db: this.instantiate(name), users: 0 };
    this.open.set(name, entry);
    entry.users++;
    let released = false;
    const used = entry;
    return {
      db: entry.db,
      release: () => {
        if (released) return;
        released = true;
        used.users--;
        this.evict();
      },
    };
  }

  /** Forgets the instance without closing it (the caller destroys it); undefined if not open. */
  take(name: string): T | undefined {
    const entry = this.open.get(name);
    this.open.delete(name);
    return entry?.db;
  }

  /** Waits for a close of `name` in progress, if any. */
  async settled(name: string): Promise<void> {
    for (let pending = this.closing.get(name); pending; pending = this.closing.get(name)) await pending;
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.allSettled([...all.map((e) => e.db.close()), ...this.closing.values()]);
  }

  private evict(): void {
    if (this.open.size <= this.capacity) return;
    for (const [name, entry] of this.open) {
      if (this.open.size <= this.capacity) break;
      if (entry.users > 0) continue;
      this.open.delete(name);
      const done = entry.db.close().then(
        () => undefined,
        () => undefined,
      );
      this.closing.set(name, done);
      void done.then(() => {
        if (this.closing.get(name) === done) this.closing.delete(name);
      });
    }
  }
}
