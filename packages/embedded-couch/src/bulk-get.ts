// POST /{db}/_bulk_get, answered one result per requested entry as CouchDB does.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, type Query, readJsonObject, sendJson } from './http.js';
import type { PouchDatabase } from './pouchdb.js';

/**
 * express-pouchdb maps PouchDB 9's error entries to {error: undefined}, so a missing document
 * came back as {} with no error; PouchDB's bulkGet also merges repeated ids. Each entry is a
 * plain get here, with CouchDB's error shape.
 */
export async function handleBulkGet(req: IncomingMessage, res: ServerResponse, db: PouchDatabase, q: Query): Promise<void> {
  const body = await readJsonObject(req);
  const docs = body.docs;
  if (!Array.isArray(docs)) throw badRequest("Missing JSON list of 'docs'");
  const requests = docs.map((d: unknown) => {
    const r = (d ?? {}) as { id?: unknown; rev?: unknown };
    if (typeof r.id !== 'string' || (r.rev !== undefined && typeof r.rev !== 'string'))
      throw badRequest('Each entry needs a string id (and optional string rev)');
    return { id: r.id, rev: r.rev as string | undefined };
  });
  const opts = { revs: q.bool('revs'), attachments: q.bool('attachments'), latest: q.bool('latest') };
  const results = await Promise.all(
    requests.map(async ({ id, rev }) => {
      try {
        return { id, docs: [{ ok: await db.get(id, rev ? { ...opts, rev } : opts) }] };
      } catch (err) {
        const e = err as { name?: unknown; reason?: unknown; message?: unknown };
        const error = typeof e.name === 'string' && e.name !== 'Error' ? e.name : 'not_found';
        const reason = typeof e.reason === 'string' ? e.reason : typeof e.message === 'string' ? e.message : 'missing';
        return { id, docs: [{ error: { id, rev: rev ?? 'undefined', error, reason } }] };
      }
    }),
  );
  sendJson(res, 200, { results });
}
