// A GET whose response body is consumed chunk by chunk and can be abandoned half-way, so a
// caller never holds more of a response than it chose to. nano buffers and parses whole
// bodies, and its streaming mode drops error bodies (a 404 could no longer tell a missing
// database from a missing doc), hence plain fetch here.
import { toCouchError } from './couch-error.js';
import { requestDeadline } from './request-deadline.js';

const ERROR_BODY_BYTES = 64 * 1024;

export interface StreamedGetOptions {
  url: string;
  headers: Record<string, string>;
  /** For error messages, e.g. 'GET /numbers%2F%2B1415/_changes' (never carries credentials). */
  what: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

/**
 * Feeds each chunk of the body to `consume` until it returns false (the request is then
 * aborted and its connection closed) or the body ends. Failures become CouchErrors.
 */
export async function streamedGet(opts: StreamedGetOptions, consume: (chunk: Uint8Array) => boolean): Promise<void> {
  const deadline = requestDeadline(opts.timeoutMs, opts.signal);
  try {
    const response = await fetch(opts.url, { headers: opts.headers, signal: deadline.signal, redirect: 'error' });
    if (!response.ok) throw { statusCode: response.status, ...(await errorBody(response)) };
    const reader = response.body!.getReader();
    let complete = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return void (complete = true);
        if (!consume(value)) return;
      }
    } finally {
      // Abandoning a body half-way must close the connection, not leave it to drain; a body
      // read to its end leaves the connection to the pool (an abort would only cost an error).
      if (!complete) deadline.abort();
      reader.releaseLock();
    }
  } catch (err) {
    throw toCouchError(err, opts.what);
  } finally {
    deadline.release();
  }
}

async function errorBody(response: Response): Promise<{ error?: string; reason?: string }> {
  try {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of response.body ?? []) {
      chunks.push(chunk as Uint8Array);
      bytes += (chunk as Uint8Array).length;
      if (bytes > ERROR_BODY_BYTES) break;
    }
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: unknown; reason?: unknown };
    return { error: String(body.error ?? ''), reason: String(body.reason ?? '') };
  } catch {
    return { reason: response.statusText };
  }
}
