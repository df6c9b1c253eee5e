// The PouchDB constructor behind the server: memory adapter, or leveldb files under a directory.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ensurePrivateDir } from './private-dir.js';

// PouchDB ships no types; these cover the calls this server makes.
export interface PouchChangeRow {
  id: string;
  seq: number;
  changes: Array<{ rev: string }>;
  deleted?: boolean;
  doc?: Record<string, unknown>;
}

export interface PouchChangesResult {
  results: PouchChangeRow[];
  last_seq: number;
}

export type BulkDocsCallback = (err: unknown, results?: Array<{ error?: unknown }>) => void;

export interface PouchDatabase {
  info(): Promise<{ doc_count: number; update_seq: number }>;
  get(id: string, opts?: Record<string, unknown>): Promise<Record<string, unknown>>;
  put(doc: Record<string, unknown>): Promise<{ rev: string }>;
  changes(opts: Record<string, unknown>): Promise<PouchChangesResult>;
  destroy(): Promise<unknown>;
  close(): Promise<unknown>;
  /** Adapter-level write used by put/post/remove/bulkDocs/replication (not by _local docs). */
  _bulkDocs: (req: unknown, opts: unknown, callback: BulkDocsCallback) => void;
}

export interface PouchConstructor {
  new (name: string, opts?: Record<string, unknown>): PouchDatabase;
  plugin(plugin: unknown): PouchConstructor;
  defaults(opts: Record<string, unknown>): PouchConstructor;
  /** Used by express-pouchdb's startup check; we answer from our registry. */
  allDbs?: (cb?: (err: unknown, names?: string[]) => void) => Promise<string[]>;
}

const require = createRequire(import.meta.url);

let base: PouchConstructor | undefined;

// pouchdb-core is a process-wide singleton; plugins register once.
function pouchCore(): PouchConstructor {
  if (!base) {
    base = (require('pouchdb-core') as PouchConstructor)
      .plugin(require('pouchdb-adapter-memory'))
      .plugin(require('pouchdb-adapter-leveldb'))
      .plugin(require('pouchdb-mapreduce'));
  }
  return base;
}

export interface PouchBackend {
  PouchDB: PouchConstructor;
  adapter: 'memory' | 'leveldb';
  /** Absolute data directory (leveldb only); each database is one directory in it. */
  dataDir?: string;
}

export function createPouchBackend(dataDir?: string): PouchBackend {
  if (dataDir) {
    const dir = resolve(dataDir);
    // Private to the server's user, closing up a directory an older version left 0755; refused
    // when another user controls it. (Files inside get 0600 from the umask main.ts sets.)
    ensurePrivateDir(dir);
    return { PouchDB: pouchCore().defaults({ adapter: 'leveldb', prefix: `${dir}/` }), adapter: 'leveldb', dataDir: dir };
  }
  // memdown stores are global per name: a random prefix keeps two in-process servers apart.
  const prefix = `embedded-${randomBytes(6).toString('hex')}-`;
  return { PouchDB: pouchCore().defaults({ adapter: 'memory', prefix }), adapter: 'memory' };
}
