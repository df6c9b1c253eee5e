import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';

/**
 * What tells one instance of a database from a later one of the same name, without any
 * arithmetic on `seq` (opaque): `doc_count + doc_del_count` never decreases within one instance
 * (only a purge or a re-creation makes it shrink), and CouchDB 3 gives each instance a new
 * `shard_suffix` (in its `_dbs` doc, readable by an admin at /_node/_local/_dbs/<db>).
 */
export interface DbInstance {
  /** doc_count + doc_del_count; absent when the server does not report doc_del_count. */
  count?: number;
  /** JSON of shard_suffix; absent where the server does not expose it. */
  suffix?: string;
}

/** Pure: why `current` is not the instance `remembered` was taken from, or undefined when it may be. */
export function instanceChange(remembered: DbInstance | undefined, current: DbInstance): 'suffix' | 'count' | undefined {
  if (!remembered) return undefined;
  if (remembered.suffix !== undefined && current.suffix !== undefined && remembered.suffix !== current.suffix) return 'suffix';
  if (remembered.count !== undefined && current.count !== undefined && current.count < remembered.count) return 'count';
  return undefined;
}

export function parseDbInstance(json: string | undefined): DbInstance | undefined {
  if (json === undefined) return undefined;
  try {
    const v = JSON.parse(json) as DbInstance;
    return {
      ...(typeof v.count === 'number' ? { count: v.count } : {}),
      ...(typeof v.suffix === 'string' ? { suffix: v.suffix } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Reads a database's instance identity. The `_dbs` doc is optional: where it cannot be read
 * (not CouchDB 3, no node-local access through a proxy, not an admin) it is ignored, and after a
 * refusal it is not asked for again by this reader.
 */
export class DbInstanceReader {
  private suffixReadable = true;

  constructor(private readonly couch: CouchClient) {}

  async read(db: string, signal?: AbortSignal): Promise<DbInstance> {
    const info = await this.couch.request<{ doc_count?: unknown; doc_del_count?: unknown }>({ db, path: '', signal });
    const count = typeof info.doc_count === 'number' && typeof info.doc_del_count === 'number' ? info.doc_count + info.doc_del_count : undefined;
    const suffix = this.suffixReadable ? await this.readSuffix(db, signal) : undefined;
    return { ...(count !== undefined ? { count } : {}), ...(suffix !== undefined ? { suffix } : {}) };
  }

  private async readSuffix(db: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const doc = await this.couch.request<{ shard_suffix?: unknown }>({ path: `_node/_local/_dbs/${encodeURIComponent(db)}`, signal });
      return doc.shard_suffix === undefined ? undefined : JSON.stringify(doc.shard_suffix);
    } catch (err) {
      if (err instanceof CouchError && err.retryable) throw err;
      // 404 of a database deleted meanwhile is answered by the info read next time; anything else
      // (400/401/403/404 of an unknown endpoint) means this server does not expose it to us.
      if (!(err instanceof CouchError && err.kind === 'db_not_found')) this.suffixReadable = false;
      return undefined;
    }
  }
}
