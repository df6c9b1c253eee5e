// Checks every request passes before routing: who it is addressed to, where it comes from, how
// big and what type its body is. Pure rules over the request head; no body is read here.
import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { CouchHttpError, MAX_BODY_BYTES, tooLarge } from './http.js';

export interface GuardedRequest {
  method: string;
  headers: IncomingHttpHeaders;
  /** First path segment, decoded ('' for /). */
  first: string;
}

/**
 * Throws the CouchDB-shaped error a request must get before anything else happens, or returns.
 * - Host: a page on an attacker's domain that resolves to 127.0.0.1 (DNS rebinding) sends its
 *   own name as Host; only loopback names and IP literals are accepted, so it never gets through.
 * - Origin: browsers send it on cross-origin requests; CORS is never enabled here, so refuse.
 * - Body size: a declared length over the limit is refused before a byte is read.
 * - Content type: a browser can POST text/plain, forms and multipart cross-site without a
 *   preflight; CouchDB answers 415 to non-JSON POSTs, so do we (except the _session login form).
 */
export function guardRequest(req: GuardedRequest, bindHost: string): void {
  if (!isAllowedHost(req.headers.host, bindHost))
    throw new CouchHttpError(400, 'bad_request', 'Invalid Host header: only loopback names and addresses are served');
  if (req.headers.origin !== undefined) {
    throw new CouchHttpError(403, 'forbidden', 'Cross-origin requests are refused: CORS is not enabled on this server');
  }
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > MAX_BODY_BYTES) throw tooLarge();
  if (req.method === 'POST' && hasBody(req.headers) && !isJsonType(req.headers['content-type'])) {
    const formLogin = req.first === '_session' && /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    if (!formLogin) throw new CouchHttpError(415, 'bad_content_type', 'Content-Type must be application/json');
  }
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** application/json, or any +json type; a missing type is taken as JSON (nano, curl -X POST). */
export function isJsonType(type: string | undefined): boolean {
  if (type === undefined || type.trim() === '') return true;
  const essence = type.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(essence);
}

/** Host header values this server answers: loopback names and addresses, or its own bind address. */
export function isAllowedHost(header: string | undefined, bindHost: string): boolean {
  if (!header) return false;
  const host = hostName(header).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isLoopbackAddress(host)) return true;
  const bind = bindHost.replace(/^\[|\]$/g, '').toLowerCase();
  // Bound beyond loopback on purpose: its own address, and on a wildcard any IP literal (a DNS
  // rebinding page always sends a name, never a literal).
  if (host === bind) return true;
  return (bind === '0.0.0.0' || bind === '::') && isIP(host) !== 0;
}

function hostName(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

function isLoopbackAddress(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(host);
  return false;
}
