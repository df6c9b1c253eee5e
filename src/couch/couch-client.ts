import nano, { type ServerScope } from 'nano';
import { toCouchError, CouchError } from './couch-error.js';
import { redactUrl } from '../util/redact.js';
import { basicAuthHeader } from '@kazoo-numbers-sync/embedded-couch';
import { JsonRowsScanner, type ScanStatus } from './json-rows-scanner.js';
import { requestDeadline } from './request-deadline.js';
import { streamedGet } from './streamed-get.js';
import { HeadRequester } from './head-request.js';

export interface CouchClientOptions {
  url: string;
  /** Upper bound of any single request; feeds add their own longpoll timeout on top. */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  method?: 'get' | 'put' | 'post' | 'delete' | 'head';
  db?: string;
  path?: string;
  qs?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ChangeRow {
  id: string;
  seq: unknown;
  deleted?: boolean;
  doc?: Record<string, unknown>;
  changes?: Array<{ rev: string }>;
}

export interface ChangesPage {
  results: ChangeRow[];
  last_seq: unknown;
  pending?: number;
}

const JSON_KEYS: ReadonlySet<string> = new Set(['startkey', 'endkey', 'key', 'start_key', 'end_key']);

/** Byte bounds of a streamed list read (see CouchClient.rowsBounded). */
export interface RowBounds {
  /** A row longer than this is not read: the read ends with cut 'oversize' before it. */
  maxRowBytes: number;
  /** The read ends (cut 'bytes') before a row that would bring the rows read past this. */
  maxBytes: number;
  signal?: AbortSignal;
}

export interface BoundedRead {
  /** Rows handed to onRow. */
  rows: number;
  bytes: number;
  /** Why the read ended before the end of the response; undefined = it was read whole. */
  cut?: 'bytes' | 'oversize';
  /** The response without its rows (last_seq, pending...); only when it was read whole. */
  frame?: Record<string, unknown>;
}

export interface BoundedChangesPage extends BoundedRead {
  /** Where the next page starts: the server's last_seq, or the seq of the last row read when cut. */
  lastSeq: unknown;
  pending?: number;
}

export interface DbUpdate {
  db_name: string;
  type: string;
  seq?: unknown;
}

/** One database of a `POST /_dbs_info` answer: its state, or absent (deleted meanwhile). */
export type DbInfoEntry = { updateSeq: unknown; purgeSeq: unknown } | 'not_found';

/** CouchDB 3's default `[chttpd] max_db_number_for_dbs_info_req`: keys per `POST /_dbs_info`. */
export const DBS_INFO_MAX_KEYS = 100;

export interface DbUpdatesPage {
  results: DbUpdate[];
  last_seq: unknown;
}

/**
 * The daemon's only door to CouchDB. Every call goes through `request`, which adds a timeout,
 * maps failures to CouchError kinds and keeps credentials out of messages. `seq` values are
 * passed through untouched: they are opaque strings on CouchDB 3.
 */
export class CouchClient {
  private readonly server: ServerScope;
  readonly displayUrl: string;
  private readonly requestTimeoutMs: number;
  /** Base URL without credentials and the headers carrying them, for streamed reads. */
  private readonly streamBase: string;
  private readonly streamHeaders: Record<string, string>;
  private readonly heads: HeadRequester;

  constructor(opts: CouchClientOptions) {
    this.server = nano({ url: opts.url });
    const parsed = new URL(opts.url);
    this.streamBase = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
    this.streamHeaders = { accept: 'application/json', ...basicAuthHeader(parsed) };
    this.heads = new HeadRequester(parsed);
    this.displayUrl = redactUrl(opts.url);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
  }

  async request<T>(opts: RequestOptions): Promise<T> {
    const deadline = requestDeadline(opts.timeoutMs ?? this.requestTimeoutMs, opts.signal);
    try {
      const result = (await this.server.request({
        method: opts.method ?? 'get',
        db: opts.db,
        path: opts.path,
        qs: opts.qs,
        // Serialised here: nano's own JSON.stringify runs a replacer on every key of every doc.
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        dontStringify: true,
        signal: deadline.signal,
      } as Parameters<ServerScope['request']>[0])) as T;
      // nano swallows a failed read of a JSON body (this deadline aborting it included) and
      // resolves with '': a request whose deadline fired did not succeed, whatever nano says.
      if (deadline.signal.aborted) throw deadline.signal.reason;
      return result;
    } catch (err) {
      throw toCouchError(err, `${(opts.method ?? 'get').toUpperCase()} ${opts.db ? `/${opts.db}` : ''}/${opts.path ?? ''}`);
    } finally {
      deadline.release();
    }
  }

  /** Server banner; used as a reachability probe. */
  ping(signal?: AbortSignal): Promise<{ couchdb: string; version?: string }> {
    return this.request({ path: '', signal, timeoutMs: 5000 });
  }

  /**
   * `GET /_up` as HTTP status and body: a 404 is an answer here (CouchDB in maintenance mode
   * says `{"status":"maintenance_mode"}`; a server without the endpoint says not_found).
   */
  async up(signal: AbortSignal): Promise<{ status: number; body: Record<string, unknown> }> {
    try {
      const body = (await this.server.request({ path: '_up', signal } as Parameters<ServerScope['request']>[0])) as Record<string, unknown>;
      return { status: 200, body };
    } catch (err) {
      const e = err as { statusCode?: number; status?: unknown; error?: unknown; reason?: unknown };
      if (e.statusCode === 404) return { status: 404, body: { status: e.status, error: e.error, reason: e.reason } };
      throw toCouchError(err, 'GET /_up');
    }
  }

  /** Database names in [start, end] (needs admin on CouchDB 3). */
  listDbs(start: string, end: string, signal?: AbortSignal): Promise<string[]> {
    return this.request({ path: '_all_dbs', qs: { startkey: start, endkey: end }, signal });
  }

  changes(db: string, opts: { since: unknown; limit: number; includeDocs: boolean; signal?: AbortSignal }): Promise<ChangesPage> {
    return this.request({
      db,
      path: '_changes',
      qs: { since: opts.since, limit: opts.limit, include_docs: opts.includeDocs, style: 'main_only' },
      signal: opts.signal,
    });
  }

  /**
   * One page of _changes read as a stream and bounded in bytes (see rowsBounded); each row goes
   * to `onRow` as soon as it is read, so the caller can map it and drop the doc.
   */
  async changesBounded(
    db: string,
    opts: RowBounds & { since: unknown; limit: number; includeDocs: boolean; onRow: (row: ChangeRow) => void },
  ): Promise<BoundedChangesPage> {
    let lastSeq: unknown = opts.since;
    const read = await this.rowsBounded(
      db,
      '_changes',
      { since: opts.since, limit: opts.limit, include_docs: opts.includeDocs, style: 'main_only' },
      'results',
      opts,
      (row) => {
        const change = row as unknown as ChangeRow;
        lastSeq = change.seq;
        opts.onRow(change);
      },
    );
    if (!read.frame) return { ...read, lastSeq };
    const pending = read.frame.pending;
    return { ...read, lastSeq: read.frame.last_seq, ...(typeof pending === 'number' ? { pending } : {}) };
  }

  /**
   * A list response (`results` of _changes, `rows` of _all_docs) read as a stream: rows are
   * parsed one at a time and handed to `onRow`; reading stops before a row longer than
   * maxRowBytes (cut 'oversize', nothing of it parsed) or one that would pass maxBytes in total
   * (cut 'bytes'), and the request is then abandoned. So memory is bounded by the caller's
   * bounds, whatever the server sends.
   */
  async rowsBounded(
    db: string,
    path: string,
    qs: Record<string, unknown>,
    rowsKey: 'results' | 'rows',
    bounds: RowBounds,
    onRow: (row: Record<string, unknown>, bytes: number) => void,
  ): Promise<BoundedRead> {
    const out: BoundedRead = { rows: 0, bytes: 0 };
    const scanner = new JsonRowsScanner({ rowsKey, maxRowBytes: bounds.maxRowBytes }, (text, bytes) => {
      if (out.bytes + bytes > bounds.maxBytes) return false;
      out.rows++;
      out.bytes += bytes;
      onRow(JSON.parse(text) as Record<string, unknown>, bytes);
      return true;
    });
    let status = 'more' as ScanStatus;
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(qs)) {
      // Keys are JSON (as nano sends them); since and the rest go as they are.
      if (value !== undefined) query.set(key, typeof value === 'string' && !JSON_KEYS.has(key) ? value : JSON.stringify(value));
    }
    await streamedGet(
      {
        url: `${this.streamBase}/${encodeURIComponent(db)}/${path}?${query.toString()}`,
        headers: this.streamHeaders,
        what: `GET /${db}/${path}`,
        signal: bounds.signal,
        timeoutMs: this.requestTimeoutMs,
      },
      (chunk) => (status = scanner.push(chunk)) === 'more',
    );
    if (status === 'oversize') out.cut = 'oversize';
    else if (status === 'stopped') out.cut = 'bytes';
    else out.frame = scanner.end();
    return out;
  }

  /**
   * The current doc, read as a stream and abandoned past `maxBytes`: 'too_large' then, undefined
   * when it does not exist. Throws db_not_found when the database is missing.
   */
  async getDocBounded(db: string, id: string, maxBytes: number, signal?: AbortSignal): Promise<Record<string, unknown> | 'too_large' | undefined> {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    try {
      await streamedGet(
        {
          url: `${this.streamBase}/${encodeURIComponent(db)}/${encodeURIComponent(id)}`,
          headers: this.streamHeaders,
          what: `GET /${db}/${id.slice(0, 100)}`,
          signal,
          timeoutMs: this.requestTimeoutMs,
        },
        (chunk) => {
          bytes += chunk.length;
          if (bytes > maxBytes) return false;
          chunks.push(chunk);
          return true;
        },
      );
    } catch (err) {
      if (err instanceof CouchError && err.kind === 'doc_not_found') return undefined;
      throw err;
    }
    if (bytes > maxBytes) return 'too_large';
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  }

  /** Longpoll on _db_updates; the client-side deadline is the feed timeout plus the request timeout. */
  dbUpdates(opts: { since: unknown; timeoutMs: number; signal?: AbortSignal }): Promise<DbUpdatesPage> {
    return this.request({
      path: '_db_updates',
      qs: { feed: 'longpoll', since: opts.since, timeout: opts.timeoutMs },
      signal: opts.signal,
      timeoutMs: opts.timeoutMs + this.requestTimeoutMs,
    });
  }

  /** Longpoll on a database's _changes without docs: only "something changed since" is wanted. */
  changesLongpoll(db: string, opts: { since: unknown; limit: number; timeoutMs: number; signal?: AbortSignal }): Promise<ChangesPage> {
    return this.request({
      db,
      path: '_changes',
      qs: { feed: 'longpoll', since: opts.since, limit: opts.limit, timeout: opts.timeoutMs, style: 'main_only' },
      signal: opts.signal,
      timeoutMs: opts.timeoutMs + this.requestTimeoutMs,
    });
  }

  /**
   * `POST /_dbs_info` (CouchDB >= 2.2): the state of up to DBS_INFO_MAX_KEYS databases in one
   * request. A database that does not exist is answered `{"key":..,"error":"not_found"}`.
   */
  async dbsInfo(names: readonly string[], signal?: AbortSignal): Promise<Map<string, DbInfoEntry>> {
    const rows = await this.request<Array<{ key: string; info?: { update_seq?: unknown; purge_seq?: unknown }; error?: string }>>({
      method: 'post',
      path: '_dbs_info',
      body: { keys: names },
      signal,
    });
    const out = new Map<string, DbInfoEntry>();
    for (const row of rows) {
      if (row.info) out.set(row.key, { updateSeq: row.info.update_seq, purgeSeq: row.info.purge_seq });
      else if (row.error === 'not_found') out.set(row.key, 'not_found');
    }
    return out;
  }

  async dbExists(db: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.request({ db, path: '', signal });
      return true;
    } catch (err) {
      if (err instanceof CouchError && err.kind === 'db_not_found') return false;
      if (err instanceof CouchError && err.kind === 'doc_not_found') return false;
      throw err;
    }
  }

  /** The doc, or undefined when it does not exist. Throws db_not_found when the database is missing. */
  async getDoc<T = Record<string, unknown>>(db: string, id: string, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.request<T>({ db, path: encodeURIComponent(id), signal });
    } catch (err) {
      if (err instanceof CouchError && err.kind === 'doc_not_found') return undefined;
      throw err;
    }
  }

  putDoc(db: string, doc: Record<string, unknown> & { _id: string }, signal?: AbortSignal): Promise<{ ok: boolean; id: string; rev: string }> {
    return this.request({ method: 'put', db, path: encodeURIComponent(doc._id), body: doc, signal });
  }

  /** Docs by id in one request (bulk read). Missing / deleted ids are absent from the result. */
  async getDocs(db: string, ids: string[], signal?: AbortSignal): Promise<Map<string, Record<string, unknown>>> {
    const page = await this.request<{ rows: Array<{ id?: string; doc?: Record<string, unknown> | null }> }>({
      method: 'post',
      db,
      path: '_all_docs',
      qs: { include_docs: true },
      body: { keys: ids },
      signal,
    });
    const docs = new Map<string, Record<string, unknown>>();
    for (const row of page.rows) if (row.id && row.doc) docs.set(row.id, row.doc);
    return docs;
  }
  /**
   * HEAD of a doc: its winning rev from the ETag, without the body. With `conflicts`, CouchDB
   * sends no ETag while the doc has conflicting revisions (it sends ETags only for docs without
   * meta), so an ETag then also proves the doc conflict-free. Undefined on 404: a HEAD carries
   * no body to tell a missing doc from a missing database.
   */
  async headDoc(db: string, id: string, opts: { conflicts?: boolean; signal?: AbortSignal } = {}): Promise<{ etag?: string } | undefined> {
    const path = `/${encodeURIComponent(db)}/${encodeURIComponent(id)}`;
    try {
      // Not through nano: its HTTP client closes the connection after every HEAD (head-request.ts).
      const headers = await this.heads.head({
        url: `${this.streamBase}${path}${opts.conflicts ? '?conflicts=true' : ''}`,
        headers: this.streamHeaders,
        what: `HEAD ${path.slice(0, 200)}`,
        signal: opts.signal,
        timeoutMs: this.requestTimeoutMs,
      });
      return { etag: headers.etag };
    } catch (err) {
      if (err instanceof CouchError && (err.kind === 'doc_not_found' || err.kind === 'db_not_found')) return undefined;
      throw err;
    }
  }

  /** The winning revision of a doc with `_conflicts` (the other live leaves), or undefined when missing. */
  async getDocWithConflicts<T = Record<string, unknown>>(db: string, id: string, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.request<T>({ db, path: encodeURIComponent(id), qs: { conflicts: true }, signal });
    } catch (err) {
      if (err instanceof CouchError && err.kind === 'doc_not_found') return undefined;
      throw err;
    }
  }

  /** POST _bulk_docs; per-doc results (a failed doc carries `error`, the request does not fail). */
  bulkDocs(
    db: string,
    docs: Array<Record<string, unknown>>,
    signal?: AbortSignal,
  ): Promise<Array<{ id?: string; rev?: string; error?: string; reason?: string }>> {
    return this.request({ method: 'post', db, path: '_bulk_docs', body: { docs }, signal });
  }
}
