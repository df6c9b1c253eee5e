// Small HTTP helpers: CouchDB-shaped JSON errors, bodies, query parameters, backpressure.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export class CouchHttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: string,
  ) {
    super(`${status} ${error}: ${reason}`);
    this.name = 'CouchHttpError';
  }
}

export function badRequest(reason: string): CouchHttpError {
  return new CouchHttpError(400, 'bad_request', reason);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Cache-Control': 'must-revalidate',
    'Content-Length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : payload);
}

/** Maps our errors, PouchDB errors ({status, name, message}) and anything else to a JSON reply. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    // Mid-stream there is no way to report an error in band; ending the body is the signal.
    res.end();
    return;
  }
  // (After an early 413 Node reads and discards the rest of the body: memory stays bounded, and
  // clients that only read once they have sent everything still get the answer.)
  if (err instanceof CouchHttpError) return sendJson(res, err.status, { error: err.error, reason: err.reason });
  const e = (err ?? {}) as { status?: unknown; name?: unknown; error?: unknown; message?: unknown; reason?: unknown };
  const status = typeof e.status === 'number' && e.status >= 400 && e.status < 600 ? e.status : 500;
  const error = typeof e.name === 'string' && e.name !== 'Error' ? e.name : status === 500 ? 'unknown_error' : 'bad_request';
  const reason = typeof e.reason === 'string' ? e.reason : typeof e.message === 'string' ? e.message : String(err);
  sendJson(res, status, { error, reason: withoutPaths(reason) });
}

/**
 * Library errors (leveldb: "IO error: /srv/data/couch/x/LOCK: ...") name absolute file paths;
 * a client has no business learning where the data lives. Each absolute path becomes its last
 * component.
 */
export function withoutPaths(reason: string): string {
  return reason.replace(/(^|[\s'"(=:,])\/(?:[^\s'"(),/]+\/)*([^\s'"(),/]*)/g, (_m, before: string, last: string) => `${before}<data>/${last}`);
}

/** The documented limit of request bodies (CouchDB's own default max_http_request_size is 4 GB). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

export function tooLarge(): CouchHttpError {
  return new CouchHttpError(413, 'too_large', 'the request entity is too large');
}

/**
 * Bodies read before authentication (the `_session` login) are small: anyone who can connect
 * may send one, and 64 MB of parsed JSON costs the server hundreds of MB of heap.
 */
export const MAX_ANONYMOUS_BODY_BYTES = 64 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Discard the rest rather than destroy the request: the client then reads the 413.
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      req.resume();
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', reject);
  });
}

/** The JSON object in the body; {} for an empty body. */
export async function readJsonObject(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  const raw = (await readBody(req, limit)).toString('utf8').trim();
  if (!raw) return {};
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw badRequest('invalid UTF-8 JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Typed access to query parameters the way CouchDB reads them. */
export class Query {
  constructor(readonly params: URLSearchParams) {}

  has(name: string): boolean {
    return this.params.has(name);
  }

  string(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  bool(name: string, fallback = false): boolean {
    const v = this.params.get(name);
    if (v === null) return fallback;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw badRequest(`Invalid boolean parameter: ${name}=${v}`);
  }

  /** A non-negative integer, or undefined when absent. */
  int(name: string): number | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw badRequest(`Invalid value for ${name}: ${v}`);
    return Number(v);
  }

  /** A JSON-encoded value (startkey="..."), or undefined when absent. */
  json(name: string): unknown {
    const v = this.params.get(name);
    if (v === null) return undefined;
    try {
      return JSON.parse(v);
    } catch {
      throw badRequest(`Invalid JSON in parameter ${name}`);
    }
  }

  /** Everything as plain strings, for filter functions' req.query. */
  toObject(): Record<string, string> {
    return Object.fromEntries(this.params);
  }
}

/** Writes a chunk and waits when the socket buffer is full, so slow readers bound memory. */
export function writeChunk(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed || res.writableEnded || res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Aborts when the client goes away, the response ends, or the server shuts down. */
export function requestSignal(res: ServerResponse, serverSignal: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (serverSignal.aborted) abort();
  serverSignal.addEventListener('abort', abort, { once: true });
  res.once('close', () => {
    serverSignal.removeEventListener('abort', abort);
    abort();
  });
  return controller.signal;
}

/** Resolves after `ms` or when aborted, whichever is first. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch((err: { code?: unknown }) => {
    if (err?.code !== 'ABORT_ERR') throw err;
  });
}
