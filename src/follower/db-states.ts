import { CouchError } from '../couch/couch-error.js';
import { DBS_INFO_MAX_KEYS, type CouchClient, type DbInfoEntry } from '../couch/couch-client.js';

/** How a server without the endpoint answers (400 illegal name, 404, 405). */
const UNSUPPORTED: ReadonlySet<string> = new Set(['bad_request', 'doc_not_found', 'db_not_found']);

/**
 * The state of each of `names` by `POST /_dbs_info`, in batches of at most `maxKeys` (CouchDB
 * 3's `max_db_number_for_dbs_info_req`, 100 by default; a server configured lower answers
 * `too_many_keys`, and the batch is halved until it fits). Undefined when the server has no
 * `_dbs_info` (CouchDB < 2.2, or a proxy refusing it): the caller then reads every database.
 */
export async function readDbStates(
  couch: CouchClient,
  names: readonly string[],
  signal?: AbortSignal,
  maxKeys = DBS_INFO_MAX_KEYS,
): Promise<Map<string, DbInfoEntry> | undefined> {
  const out = new Map<string, DbInfoEntry>();
  let batch = maxKeys;
  for (let i = 0; i < names.length; ) {
    const keys = names.slice(i, i + batch);
    try {
      for (const [name, entry] of await couch.dbsInfo(keys, signal)) out.set(name, entry);
      i += keys.length;
    } catch (err) {
      if (!(err instanceof CouchError) || !UNSUPPORTED.has(err.kind)) throw err;
      if (err.reason === 'too_many_keys' && batch > 1) {
        batch = Math.max(1, Math.floor(batch / 2));
        continue;
      }
      return undefined;
    }
  }
  return out;
}
