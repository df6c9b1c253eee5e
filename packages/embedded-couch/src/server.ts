// The CouchDB-protocol HTTP server: our router in front of express-pouchdb's document routes.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseAllDbsQuery, selectDbNames } from './all-dbs.js';
import { AdminAuth, type AdminCredentials } from './auth.js';
import { handleBulkGet } from './bulk-get.js';
import { handleChanges } from './changes-feed.js';
import { illegalNameReason, isValidDbName } from './db-names.js';
import { dbInfoBody, handleDbsInfo } from './dbs-info.js';
import { DbUpdatesBatcher } from './db-updates-batcher.js';
import { DbUpdatesLog } from './db-updates-log.js';
import { handleDbUpdates } from './db-updates-feed.js';
import { refuseDesignFunctions } from './design-functions.js';
import { createDocumentRoutes, type RequestHandler, type ResolvedRequest } from './document-routes.js';
import { CouchHttpError, MAX_ANONYMOUS_BODY_BYTES, Query, readBody, readJsonObject, sendError, sendJson } from './http.js';
import { createPouchBackend, type PouchDatabase } from './pouchdb.js';
import { DbRegistry, notFoundDb } from './registry.js';
import { guardRequest } from './request-guard.js';
import type { FidelityOptions } from './fidelity.js';
import { seqCodec, taggedSeqs, type SeqCodec } from './seq-codec.js';
import { shardSuffixOf } from './shard-suffix.js';

export interface EmbeddedCouchServerOptions {
  /** Directory for leveldb files; omitted = in memory. */
  dataDir?: string;
  /** The only user: every request except GET /, /_up and /_session needs these credentials. */
  admin: AdminCredentials;
  /** Address the server is bound to; requests must name it or a loopback host (default 127.0.0.1). */
  bindHost?: string;
  /** Serve views (`_design/x/_view/y`), which run design-document JavaScript in this process. Off by default. */
  jsViews?: boolean;
  /** Idle databases kept open on disk (default 128, ~4 file descriptors each). */
  maxOpenDbs?: number;
  /** Entries kept by _db_updates (default 10 000). */
  dbUpdatesCapacity?: number;
  /** Seq spelling and _db_updates batching (default: integers, immediate events). */
  fidelity?: FidelityOptions;
}

export interface EmbeddedCouchServer {
  server: Server;
  registry: DbRegistry;
  updates: DbUpdatesLog;
  /** Ends feeds, closes connections and database files. */
  close(): Promise<void>;
}

const UNSUPPORTED_DB_ENDPOINTS = new Set(['_find', '_index', '_explain', '_purge', '_partition', '_shards']);

/** The API level we implement; clients feature-detect on it. */
const COUCHDB_VERSION = '3.3.3';

export async function createEmbeddedCouchServer(opts: EmbeddedCouchServerOptions): Promise<EmbeddedCouchServer> {
  const backend = createPouchBackend(opts.dataDir);
  const registry = new DbRegistry(backend, opts.maxOpenDbs);
  const seqStyle = opts.fidelity?.seqs ?? 'integer';
  const seqs = seqCodec(seqStyle);
  // _db_updates has seqs of its own (CouchDB: those of _global_changes), never bare integers.
  const updates = new DbUpdatesLog(opts.dbUpdatesCapacity, seqStyle === 'integer' ? taggedSeqs() : seqCodec(seqStyle));
  const batcher = new DbUpdatesBatcher(updates, opts.fidelity?.dbUpdatesDelayMs ?? 0);
  registry.onAny((name, type) => batcher.record(name, type));
  const auth = new AdminAuth(opts.admin);
  const documents = await createDocumentRoutes(backend.PouchDB, () => registry.list(), { jsViews: opts.jsViews });
  const shutdown = new AbortController();
  const serverUuid = randomBytes(16).toString('hex');

  const router = new Router({
    registry,
    updates,
    auth,
    documents,
    serverSignal: shutdown.signal,
    serverUuid,
    bindHost: opts.bindHost ?? '127.0.0.1',
    jsViews: opts.jsViews ?? false,
    seqs,
  });
  const server = createServer((req, res) => {
    router.handle(req, res).catch((err: unknown) => sendError(res, err));
  });
  // Longer than undici's idle keep-alive (4 s) so pooled client sockets are not reset under them.
  server.keepAliveTimeout = 30_000;
  server.headersTimeout = 35_000;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      batcher.close();
      shutdown.abort(); // feeds finish their responses with last_seq
      let done = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve())).then(() => void (done = true));
      // Requests in flight get up to 2 s; keep-alive sockets are closed as soon as they go idle.
      for (const deadline = Date.now() + 2000; !done && Date.now() < deadline; ) {
        server.closeIdleConnections();
        await new Promise((r) => setTimeout(r, 20));
      }
      server.closeAllConnections();
      await closed;
      await registry.closeAll();
    })());
  return { server, registry, updates, close };
}

interface RouterDeps {
  registry: DbRegistry;
  updates: DbUpdatesLog;
  auth: AdminAuth;
  documents: RequestHandler;
  serverSignal: AbortSignal;
  serverUuid: string;
  bindHost: string;
  jsViews: boolean;
  seqs: SeqCodec;
}

class Router {
  constructor(private readonly d: RouterDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const qi = url.indexOf('?');
    // Split the raw path ourselves: URL parsing would resolve '..' and decode %2F too early.
    const segments = (qi < 0 ? url : url.slice(0, qi)).split('/').slice(1);
    const query = new Query(new URLSearchParams(qi < 0 ? '' : url.slice(qi + 1)));
    const first = decodeSegment(segments[0] ?? '');
    const method = req.method ?? 'GET';
    guardRequest({ method, headers: req.headers, first }, this.d.bindHost);

    const isPublic = (first === '' && (method === 'GET' || method === 'HEAD')) || first === '_up' || first === '_session';
    if (!isPublic) {
      const result = this.d.auth.authenticate(req);
      if (!result.ok) {
        // CouchDB's wording: server-level endpoints are for admins, databases for their members.
        const reason = !req.headers.authorization && first.startsWith('_') ? 'You are not a server admin.' : result.reason;
        return sendJson(res, 401, { error: 'unauthorized', reason });
      }
    }

    switch (first) {
      case '':
        allow(method, ['GET', 'HEAD']);
        return sendJson(res, 200, {
          couchdb: 'Welcome',
          version: COUCHDB_VERSION,
          git_sha: 'embedded',
          uuid: this.d.serverUuid,
          features: [],
          vendor: { name: 'kazoo-numbers-sync embedded (express-pouchdb + PouchDB)' },
        });
      case '_up':
        return sendJson(res, 200, { status: 'ok', seeds: {} });
      case '_session':
        return this.session(req, res, method);
      case '_all_dbs':
        allow(method, ['GET', 'HEAD']);
        return sendJson(res, 200, selectDbNames(this.d.registry.list(), parseAllDbsQuery(query)));
      case '_dbs_info':
        allow(method, ['GET', 'HEAD', 'POST']);
        return handleDbsInfo(req, res, { registry: this.d.registry, seqs: this.d.seqs }, query);
      case '_db_updates':
        allow(method, ['GET', 'POST']);
        if (method === 'POST') await readBody(req); // parameters come from the query string
        return handleDbUpdates(res, this.d.updates, query, this.d.serverSignal);
      case '_node': {
        // Like CouchDB 3's node-local _dbs doc, only its shard_suffix: what tells a re-created database apart.
        allow(method, ['GET']);
        const name = segments[1] === '_local' && segments[2] === '_dbs' && segments.length === 4 ? decodeSegment(segments[3] ?? '') : undefined;
        if (name === undefined || !this.d.registry.exists(name)) throw new CouchHttpError(404, 'not_found', 'missing');
        return sendJson(res, 200, { _id: name, shard_suffix: await shardSuffixOf(await this.acquire(name, res)) });
      }
      case '_uuids': {
        allow(method, ['GET']);
        const count = Math.min(query.int('count') ?? 1, 1000);
        return sendJson(res, 200, { uuids: Array.from({ length: count }, () => randomUUID().replace(/-/g, '')) });
      }
    }
    if (!isValidDbName(first)) throw new CouchHttpError(400, 'illegal_database_name', illegalNameReason(first));

    const rest = segments.slice(1);
    if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return this.database(req, res, method, first, query);
    // Decoded and re-split, so '_design%2Fx/_view/v' is recognised too.
    refuseDesignFunctions(rest.map(decodeSegment).join('/').split('/'), this.d.jsViews);
    const db = await this.acquire(first, res);
    if (rest[0] === '_changes' && rest.length === 1) {
      allow(method, ['GET', 'POST']);
      return handleChanges(req, res, { registry: this.d.registry, serverSignal: this.d.serverSignal, seqs: this.d.seqs }, first, db, query);
    }
    if (rest[0] === '_bulk_get' && rest.length === 1) {
      allow(method, ['POST']);
      return handleBulkGet(req, res, db, query);
    }
    if (rest[0] === '_security' && rest.length === 1) return this.security(req, res, method);
    if (UNSUPPORTED_DB_ENDPOINTS.has(rest[0] ?? '')) {
      // express-pouchdb would treat these as document ids and answer confusingly.
      throw new CouchHttpError(400, 'bad_request', `${rest[0]} is not supported by the embedded server`);
    }
    return this.delegate(req, res, db, first, rest);
  }

  /** The database's instance, kept open until the response is over. */
  private async acquire(name: string, res: ServerResponse): Promise<PouchDatabase> {
    const lease = await this.d.registry.acquire(name);
    if (!lease) throw notFoundDb();
    if (res.closed) lease.release();
    else res.once('close', lease.release);
    return lease.db;
  }

  private async database(req: IncomingMessage, res: ServerResponse, method: string, name: string, query: Query): Promise<void> {
    switch (method) {
      case 'PUT':
        await readBody(req);
        await this.d.registry.create(name);
        return sendJson(res, 201, { ok: true }, { Location: `/${encodeURIComponent(name)}` });
      case 'DELETE':
        if (query.has('rev')) {
          throw new CouchHttpError(400, 'bad_request', 'You tried to DELETE a database with a ?rev= parameter. Did you mean to DELETE a document instead?');
        }
        await this.d.registry.destroy(name);
        return sendJson(res, 200, { ok: true });
      case 'GET':
      case 'HEAD': {
        return sendJson(res, 200, await dbInfoBody(name, await this.acquire(name, res), this.d.seqs));
      }
      case 'POST': // create a document with a generated id
        return this.delegate(req, res, await this.acquire(name, res), name, []);
      default:
        throw methodNotAllowed(['GET', 'HEAD', 'PUT', 'DELETE', 'POST']);
    }
  }

  private delegate(req: IncomingMessage, res: ServerResponse, db: PouchDatabase, name: string, rest: string[]): void {
    const r = req as ResolvedRequest;
    r.embeddedCouchDb = db;
    r.embeddedCouchDbName = name;
    // CouchDB parses a document PUT as JSON whatever its Content-Type (curl -d sends a form
    // type); express-pouchdb would silently store an empty document instead.
    const isDocPath = rest.length === 1 || (rest.length === 2 && (rest[0] === '_design' || rest[0] === '_local'));
    const type = req.headers['content-type'] ?? '';
    // express-pouchdb spools multipart parts to temporary files with no size limit; nothing here
    // needs multipart (no replication of attachments), so it is refused.
    if (/^multipart\//i.test(type)) throw new CouchHttpError(415, 'bad_content_type', 'multipart requests are not supported by the embedded server');
    if ((req.method === 'PUT' && isDocPath && !/json|multipart/i.test(type)) || (req.method === 'POST' && !type)) {
      req.headers['content-type'] = 'application/json';
    }
    // express-pouchdb answers text/plain unless JSON is asked for (nano's attachment calls send
    // no Accept and then get a string back); all our other replies are application/json.
    if (!/json/i.test(req.headers.accept ?? '')) req.headers.accept = 'application/json';
    this.d.documents(req, res, (err?: unknown) => {
      if (err) sendError(res, err);
      else sendJson(res, 404, { error: 'not_found', reason: 'missing' });
    });
  }

  private async session(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const { auth } = this.d;
    const info = (authenticated?: string) => ({ authentication_handlers: ['cookie', 'default'], ...(authenticated ? { authenticated } : {}) });
    if (method === 'GET' || method === 'HEAD') {
      const result = auth.authenticate(req);
      if (result.ok) return sendJson(res, 200, { ok: true, userCtx: result.userCtx, info: info(result.method) });
      if (req.headers.authorization) return sendJson(res, 401, { error: 'unauthorized', reason: result.reason });
      return sendJson(res, 200, { ok: true, userCtx: { name: null, roles: [] }, info: info() });
    }
    if (method === 'POST') {
      const { name, password } = await readCredentials(req);
      if (!auth.checkPassword(name, password)) {
        return sendJson(res, 401, { error: 'unauthorized', reason: 'Name or password is incorrect.' });
      }
      return sendJson(res, 200, { ok: true, name, roles: ['_admin'] }, { 'Set-Cookie': auth.sessionCookie(auth.createSession(name)) });
    }
    if (method === 'DELETE') return sendJson(res, 200, { ok: true }, { 'Set-Cookie': auth.sessionCookie('') });
    throw methodNotAllowed(['GET', 'HEAD', 'POST', 'DELETE']);
  }

  /** Security objects are accepted but not enforced: access is all-or-nothing (the admin). */
  private async security(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method === 'GET' || method === 'HEAD') {
      const adminOnly = { roles: ['_admin'] };
      return sendJson(res, 200, { members: adminOnly, admins: adminOnly });
    }
    if (method === 'PUT') {
      await readJsonObject(req);
      return sendJson(res, 200, { ok: true });
    }
    throw methodNotAllowed(['GET', 'HEAD', 'PUT']);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new CouchHttpError(400, 'bad_request', 'Malformed URL: invalid percent-encoding');
  }
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method)) throw methodNotAllowed(methods);
}

function methodNotAllowed(methods: string[]): CouchHttpError {
  return new CouchHttpError(405, 'method_not_allowed', `Only ${methods.join(',')} allowed`);
}

/** The login body, read before anyone is authenticated: hence the small limit. */
async function readCredentials(req: IncomingMessage): Promise<{ name: string; password: string }> {
  const type = req.headers['content-type'] ?? '';
  if (/x-www-form-urlencoded/i.test(type)) {
    const form = new URLSearchParams((await readBody(req, MAX_ANONYMOUS_BODY_BYTES)).toString('utf8'));
    return { name: form.get('name') ?? '', password: form.get('password') ?? '' };
  }
  const body = await readJsonObject(req, MAX_ANONYMOUS_BODY_BYTES);
  return { name: String(body.name ?? ''), password: String(body.password ?? '') };
}
