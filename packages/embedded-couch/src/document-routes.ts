// Document-level endpoints delegated to express-pouchdb (docs, _all_docs, _bulk_docs, ...).
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_BODY_BYTES } from './http.js';
import type { PouchConstructor, PouchDatabase } from './pouchdb.js';

const require = createRequire(import.meta.url);

/** Request properties our router sets before delegating. */
export interface ResolvedRequest extends IncomingMessage {
  embeddedCouchDb?: PouchDatabase;
  embeddedCouchDbName?: string;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

interface ExpressPouchApp extends RequestHandler {
  setPouchDB(PouchDB: PouchConstructor): Promise<void>;
  disable(setting: string): void;
}

interface ExpressPouchUtils {
  maxDocumentSizeDefault: number;
  parseRawBody: (req: IncomingMessage & { rawBody?: Buffer }, res: ServerResponse, next: () => void) => void;
  setDBOnReq: (dbName: string, wrapper: unknown, req: ResolvedRequest, res: ServerResponse, next: () => void) => void;
  setLocation: (res: ServerResponse & { req: ResolvedRequest }, path: string) => void;
  sendJSON: (res: ServerResponse, status: number, body: unknown) => void;
  sendError: (res: ServerResponse, err: unknown) => void;
}

let patched = false;

/**
 * express-pouchdb looks databases up by running the URL name through sanitize-filename, which
 * strips '/' (pouchdb-server #213: numbers/+1415 became numbers+1415). Our router resolves the
 * database before delegating, so its lookup is replaced by "use the instance on the request".
 * Patched once per process on express-pouchdb's shared utils module.
 */
function patchExpressPouch(): void {
  if (patched) return;
  patched = true;
  const utils = require('express-pouchdb/lib/utils.js') as ExpressPouchUtils;
  // Its JSON bodies may be 4 GB and attachment bodies unbounded; declared lengths are checked
  // by our router, these bound chunked bodies while they are read.
  utils.maxDocumentSizeDefault = MAX_BODY_BYTES;
  const rawBody = require('raw-body') as (
    req: IncomingMessage,
    opts: { length?: string; limit: number },
    cb: (err: { status?: number } | null, body: Buffer) => void,
  ) => void;
  utils.parseRawBody = (req, res, next) => {
    rawBody(req, { length: req.headers['content-length'], limit: MAX_BODY_BYTES }, (err, body) => {
      // Its callers ignore errors (the attachment would be stored empty): answer here instead.
      if (err) {
        const tooLarge = err.status === 413;
        req.resume(); // raw-body stopped reading: discard the rest so the client gets the answer
        return utils.sendJSON(
          res,
          tooLarge ? 413 : 400,
          tooLarge ? { error: 'too_large', reason: 'the request entity is too large' } : { error: 'bad_request', reason: 'unreadable request body' },
        );
      }
      req.rawBody = body;
      next();
    });
  };
  utils.setDBOnReq = (_dbName, _wrapper, req, res, next) => {
    const db = req.embeddedCouchDb;
    if (!db) return utils.sendJSON(res, 404, { error: 'not_found', reason: 'Database does not exist.' });
    // Its db wrappers are skipped on purpose: one rewrites info().db_name to the decoded name,
    // from which PouchDB's map/reduce derives view database paths ('numbers/+1-mrview-..' is
    // not a valid file). The only other one lets removeAttachment take an opts argument.
    acceptOptsInRemoveAttachment(db);
    (req as ResolvedRequest & { db?: unknown }).db = db;
    next();
  };
  // Location headers are built from the decoded name; re-encode it so the URL is usable.
  const setLocation = utils.setLocation;
  utils.setLocation = (res, path) => {
    const name = res.req.embeddedCouchDbName;
    if (name && path.startsWith(`${name}/`)) path = `${encodeURIComponent(name)}/${encodeURIComponent(path.slice(name.length + 1))}`;
    setLocation(res, path);
  };
  // CouchDB answers GET/HEAD of a doc with `ETag: "<rev>"`, but only when the reply carries no
  // meta (_conflicts, _deleted_conflicts, _revs_info, _local_seq): clients read the winning rev
  // with a HEAD, and `HEAD ?conflicts=true` without an ETag means the doc has conflicts.
  const sendJSON = utils.sendJSON;
  utils.sendJSON = (res, status, body) => {
    const method = (res as ServerResponse & { req?: IncomingMessage }).req?.method;
    if (status === 200 && (method === 'GET' || method === 'HEAD') && isPlainDocReply(body)) res.setHeader('ETag', `"${body._rev}"`);
    sendJSON(res, status, body);
  };
}

const DOC_META_KEYS = ['_conflicts', '_deleted_conflicts', '_revs_info', '_local_seq'];

function isPlainDocReply(body: unknown): body is { _id: string; _rev: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const doc = body as Record<string, unknown>;
  return typeof doc._id === 'string' && typeof doc._rev === 'string' && !DOC_META_KEYS.some((k) => k in doc);
}

const adapted = new WeakSet<object>();

function acceptOptsInRemoveAttachment(db: PouchDatabase): void {
  if (adapted.has(db)) return;
  adapted.add(db);
  const target = db as unknown as { removeAttachment: (...args: unknown[]) => unknown };
  const original = target.removeAttachment.bind(db);
  // express-pouchdb calls (id, attachment, rev, opts, cb); PouchDB takes (id, attachment, rev, cb).
  target.removeAttachment = (id, attachment, rev, opts, cb) => original(id, attachment, rev, typeof opts === 'function' ? opts : cb);
}

/**
 * The only parts of express-pouchdb mounted: document, attachment, _all_docs, _bulk_docs,
 * _revs_diff, _compact and _view_cleanup routes ('routes/db' for its database lookup, which we
 * patch), plus views when `jsViews` is set (they run design-document JavaScript). Everything
 * else (root, _all_dbs, _changes, _session, _bulk_get, temp views with its untimed eval, gzip,
 * and the whole fullCouchDB mode: config, replicator, shows, lists, updates, rewrites,
 * validation, Fauxton) is not loaded at all.
 */
export async function createDocumentRoutes(
  PouchDB: PouchConstructor,
  listNames: () => readonly string[],
  opts: { jsViews?: boolean } = {},
): Promise<RequestHandler> {
  patchExpressPouch();
  // express-pouchdb installs pouchdb-all-dbs (a hidden bookkeeping db) unless allDbs exists.
  PouchDB.allDbs = (cb) => {
    const names = [...listNames()];
    cb?.(null, names);
    return Promise.resolve(names);
  };
  const expressPouchDB = require('express-pouchdb') as (opts: Record<string, unknown>) => ExpressPouchApp;
  const app = expressPouchDB({
    mode: 'custom',
    overrideMode: {
      // Not 'compression': gzip buffered continuous feeds (a change sat in the compressor indefinitely).
      include: [
        'routes/db',
        'routes/documents',
        'routes/attachments',
        'routes/all-docs',
        'routes/bulk-docs',
        'routes/revs-diff',
        'routes/compact',
        'routes/view-cleanup',
        ...(opts.jsViews ? ['routes/views'] : []),
      ],
    },
  });
  app.disable('x-powered-by');
  // Express would hash every response body for a weak ETag: ~10% of the server's CPU under load,
  // for a header no CouchDB client here uses (CouchDB's own ETags are revs, not body hashes).
  app.disable('etag');
  await app.setPouchDB(PouchDB);
  return app;
}
