// Which databases exist, their one shared PouchDB instance each, and write notifications.
import { EventEmitter } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dbToken, nameFromToken } from './db-names.js';
import { CouchHttpError } from './http.js';
import { OpenDbs } from './open-dbs.js';
import type { BulkDocsCallback, PouchBackend, PouchDatabase } from './pouchdb.js';

const MRVIEW_RE = /-mrview-(temp|[0-9a-f]{32})$/;

export type DbEventType = 'created' | 'updated' | 'deleted';

/** Idle leveldb databases kept open (~4 file descriptors each); more are closed, least recently used first. */
export const DEFAULT_MAX_OPEN_DBS = 128;

export interface DbLease {
  db: PouchDatabase;
  /** Call once the request using `db` is over. */
  release(): void;
}

/**
 * PouchDB has no notion of "the databases on this server" and express-pouchdb's list mangles
 * names with '/', so the list lives here: in memory, rebuilt from the data directory on start.
 * Every HTTP request for a database uses the one instance open here, so wrapping its adapter
 * write once sees every document write (feeds and _db_updates wait on these events). On disk,
 * idle instances beyond `maxOpen` are closed and reopened on demand.
 */
export class DbRegistry {
  private readonly names: string[] = [];
  private readonly dbs: OpenDbs<PouchDatabase>;
  private readonly events = new EventEmitter();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly backend: PouchBackend,
    maxOpen = DEFAULT_MAX_OPEN_DBS,
  ) {
    this.events.setMaxListeners(0);
    // In memory there are no files to run out of (and a closed memdown store would be lost).
    this.dbs = new OpenDbs((name) => this.instantiate(name), backend.dataDir ? Math.max(1, maxOpen) : Infinity);
    if (backend.dataDir) this.loadFromDisk(backend.dataDir);
  }

  /** Open database instances (for tests of the bound). */
  get openCount(): number {
    return this.dbs.size;
  }

  /** Sorted by UTF-16 code unit, which equals CouchDB's byte order for the ASCII names allowed. */
  list(): readonly string[] {
    return this.names;
  }

  exists(name: string): boolean {
    return binarySearch(this.names, name) >= 0;
  }

  /** The database's instance, in use until `release()`, or undefined when it does not exist. */
  async acquire(name: string): Promise<DbLease | undefined> {
    if (!this.exists(name)) return undefined;
    return this.dbs.acquire(name);
  }

  create(name: string): Promise<void> {
    return this.serialized(async () => {
      if (this.exists(name)) {
        throw new CouchHttpError(412, 'file_exists', 'The database could not be created, the file already exists.');
      }
      const lease = await this.dbs.acquire(name);
      try {
        await lease.db.info(); // forces leveldb to create its files before we report success
      } catch (err) {
        await this.dbs
          .take(name)
          ?.close()
          .catch(() => undefined);
        throw err;
      } finally {
        lease.release();
      }
      this.names.splice(-binarySearch(this.names, name) - 1, 0, name);
      this.emit(name, 'created');
    });
  }

  destroy(name: string): Promise<void> {
    return this.serialized(async () => {
      if (!this.exists(name)) throw notFoundDb();
      // Forget it first so no new request picks up an instance that is going away.
      const i = binarySearch(this.names, name);
      if (i >= 0) this.names.splice(i, 1);
      await this.dbs.acquire(name);
      const db = this.dbs.take(name)!;
      await db.destroy();
      this.emit(name, 'deleted');
    });
  }

  /** Calls `listener` on every event of every database (for _db_updates). */
  onAny(listener: (name: string, type: DbEventType) => void): void {
    this.events.on('*', listener);
  }

  /** Calls `listener` on events of one database (for its feeds); returns the unsubscribe. */
  watch(name: string, listener: (type: DbEventType) => void): () => void {
    const key = `db:${name}`;
    this.events.on(key, listener);
    return () => this.events.off(key, listener);
  }

  /** Open per-database watches (one per running feed); for leak checks. */
  get watchCount(): number {
    return this.events.eventNames().reduce((n, e) => n + (e === '*' ? 0 : this.events.listenerCount(e)), 0);
  }

  async closeAll(): Promise<void> {
    await this.lock.catch(() => undefined);
    await this.dbs.closeAll();
  }

  private emit(name: string, type: DbEventType): void {
    this.events.emit('*', name, type);
    this.events.emit(`db:${name}`, type);
  }

  private instantiate(name: string): PouchDatabase {
    const db = new this.backend.PouchDB(dbToken(name));
    const write = db._bulkDocs;
    if (typeof write !== 'function') throw new Error('PouchDB adapter has no _bulkDocs; cannot observe writes');
    db._bulkDocs = (req: unknown, opts: unknown, callback: BulkDocsCallback) =>
      write.call(db, req, opts, (err, results) => {
        // CouchDB reports a database as updated only when a document really changed.
        if (!err && results?.some((r) => !r.error)) this.emit(name, 'updated');
        callback(err, results);
      });
    return db;
  }

  private loadFromDisk(dir: string): void {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      // PouchDB keeps each view index in a sibling database '<db>-mrview-<md5>'; not a database of ours.
      if (MRVIEW_RE.test(entry.name)) continue;
      const name = entry.isDirectory() ? nameFromToken(entry.name) : undefined;
      // A leveldb directory without CURRENT is an incomplete create or foreign; skip it.
      if (name && existsSync(join(dir, entry.name, 'CURRENT'))) this.names.push(name);
    }
    this.names.sort(compare);
  }

  // Creations and deletions are rare; one at a time keeps the list and the files consistent.
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

export function notFoundDb(): CouchHttpError {
  return new CouchHttpError(404, 'not_found', 'Database does not exist.');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of `name`, or -(insertion point) - 1 when absent. */
export function binarySearch(sorted: readonly string[], name: string): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(sorted[mid]!, name);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}
