// GET and POST /_dbs_info: the info of many databases in one request, as CouchDB 3 answers it
// (chttpd_misc:handle_dbs_info_req). Admin-only like every server endpoint here.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAllDbsQuery, selectDbNames } from './all-dbs.js';
import { badRequest, readJsonObject, sendJson, type Query } from './http.js';
import type { PouchDatabase } from './pouchdb.js';
import type { DbRegistry } from './registry.js';
import type { SeqCodec } from './seq-codec.js';

/** CouchDB's default `[chttpd] max_db_number_for_dbs_info_req`. */
export const MAX_DBS_INFO_KEYS = 100;

/** The body of `GET /{db}`, also each `info` of _dbs_info. */
export async function dbInfoBody(name: string, db: PouchDatabase, seqs: SeqCodec): Promise<Record<string, unknown>> {
  const info = await db.info();
  return {
    db_name: name,
    doc_count: info.doc_count,
    update_seq: seqs.format(info.update_seq),
    purge_seq: seqs.format(0),
    compact_running: false,
    instance_start_time: '0',
    props: {},
  };
}

export interface DbsInfoDeps {
  registry: DbRegistry;
  seqs: SeqCodec;
}

/**
 * POST takes `{"keys": [...]}` (at most MAX_DBS_INFO_KEYS, else 400 too_many_keys) and answers
 * one row per key, in order: `{key, info}` or `{key, error: "not_found"}`. GET (CouchDB >= 3.2)
 * lists every database in the _all_dbs range, skipping any deleted meanwhile.
 */
export async function handleDbsInfo(req: IncomingMessage, res: ServerResponse, deps: DbsInfoDeps, query: Query): Promise<void> {
  if (req.method === 'POST') {
    const body = await readJsonObject(req);
    if (!('keys' in body)) throw badRequest('`keys` member must exist.');
    if (!Array.isArray(body.keys)) throw badRequest('`keys` member must be an array.');
    if (body.keys.length > MAX_DBS_INFO_KEYS) throw badRequest('too_many_keys');
    const rows = [];
    for (const key of body.keys as unknown[]) {
      const info = typeof key === 'string' ? await infoOf(deps, key) : undefined;
      rows.push(info ? { key, info } : { key, error: 'not_found' });
    }
    return sendJson(res, 200, rows);
  }
  const rows = [];
  for (const name of selectDbNames(deps.registry.list(), parseAllDbsQuery(query))) {
    const info = await infoOf(deps, name);
    if (info) rows.push({ key: name, info });
  }
  return sendJson(res, 200, rows);
}

async function infoOf(deps: DbsInfoDeps, name: string): Promise<Record<string, unknown> | undefined> {
  const lease = await deps.registry.acquire(name).catch(() => undefined);
  if (!lease) return undefined;
  try {
    return await dbInfoBody(name, lease.db, deps.seqs);
  } catch {
    // Deleted between the lookup and the read: CouchDB answers not_found for it too.
    return undefined;
  } finally {
    lease.release();
  }
}
