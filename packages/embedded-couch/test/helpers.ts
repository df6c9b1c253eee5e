// Shared bits of the embedded CouchDB tests: unique names, raw HTTP, line readers.
import { randomBytes } from 'node:crypto';
import { basicAuthHeader } from '../src/url-credentials.js';

/** A database name no other test uses; starts with a letter as CouchDB requires. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/**
 * fetch refuses URLs with credentials: `url` without them, and the basic-auth header they stand
 * for (unless the caller set its own).
 */
export function splitCredentials(url: string | URL, headers: Headers = new Headers()): { url: URL; headers: Headers } {
  const u = new URL(url);
  const { authorization } = basicAuthHeader(u);
  if (authorization && !headers.has('authorization')) headers.set('Authorization', authorization);
  u.username = u.password = ''; // not withoutCredentials: a trailing slash of the path counts here
  return { url: u, headers };
}

/** fetch for a URL that may carry credentials (the embedded server's `url`). */
export function fetchWithCredentials(url: string, init: RequestInit = {}): Promise<Response> {
  const { url: plain, headers } = splitCredentials(url, new Headers(init.headers));
  return fetch(plain, { ...init, headers });
}

/** fetch + JSON, for what nano cannot express (raw paths, headers, status codes). Credentials in `base` become basic auth. */
export async function raw(base: string, path: string, init: RequestInit & { json?: unknown } = {}): Promise<RawResponse> {
  const { url, headers } = splitCredentials(new URL(path, base), new Headers(init.headers));
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, { ...init, headers, body, signal: init.signal ?? AbortSignal.timeout(30_000) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text.trim() ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Reads newline-delimited JSON objects from a streaming response, skipping heartbeat blank lines. */
export async function* jsonLines(res: Response): AsyncGenerator<Record<string, unknown>> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line) as Record<string, unknown>;
    }
  }
  if (buffered.trim()) yield JSON.parse(buffered) as Record<string, unknown>;
}

/** The error body nano attaches to a rejected request. */
export async function nanoError(p: Promise<unknown>): Promise<{ statusCode?: number; error?: string; reason?: string }> {
  try {
    await p;
  } catch (err) {
    return err as { statusCode?: number; error?: string; reason?: string };
  }
  throw new Error('expected the request to fail');
}

/** True while `pid` exists (the tests' own children: never another user's, so no EPERM case). */
export function processAlive(pid: number): boolean {
  try {
    return process.kill(pid, 0);
  } catch {
    return false;
  }
}
