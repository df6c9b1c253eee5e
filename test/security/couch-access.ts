// Raw HTTP to an embedded server, for the security tests: any Host, Origin or body, no client magic.
import { request } from 'node:http';
import { basicAuthHeader, type EmbeddedCouch, withoutCredentials } from '@kazoo-numbers-sync/embedded-couch';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: { error?: string; reason?: string; [key: string]: unknown } | undefined;
}

export interface Send {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Streams a JSON document of this many bytes (chunked, no Content-Length) instead of `body`. */
  chunkedBytes?: number;
  /** Sends this Content-Length and streams that many bytes. */
  declaredBytes?: number;
}

/** The server's URL without credentials (older launchers had only `url`). */
export function anonUrl(couch: EmbeddedCouch): string {
  const c = couch as EmbeddedCouch & { baseUrl?: string };
  return withoutCredentials(c.baseUrl ?? c.url);
}

/** Basic auth for the server's admin, taken from its credential-carrying URL. */
export function adminAuth(couch: EmbeddedCouch): Record<string, string> {
  return basicAuthHeader(couch.url);
}

/** One HTTP request; resolves with whatever the server answers, even before the body is sent. */
export function send(base: string, path: string, opts: Send = {}): Promise<Answer> {
  const url = new URL(path, base);
  const headers: Record<string, string | number> = { ...opts.headers };
  if (opts.declaredBytes !== undefined) headers['content-length'] = opts.declaredBytes;
  else if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: opts.method ?? 'GET', headers, setHost: !Object.keys(headers).some((h) => h.toLowerCase() === 'host') }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let body: Answer['body'];
        try {
          body = text.trim() ? (JSON.parse(text) as Answer['body']) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    // The server may answer and close while we are still sending: that is an answer, not an error.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.setTimeout(120_000, () => req.destroy(new Error('timeout')));
    const total = opts.chunkedBytes ?? opts.declaredBytes;
    if (total === undefined) return void req.end(opts.body);
    // A valid JSON document of exactly `total` bytes: {"pad":"xxx..."}.
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    req.write('{"pad":"');
    let sent = 10;
    const pump = () => {
      while (sent < total && !req.destroyed) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void req.once('drain', pump);
      }
      if (!req.destroyed) req.end('"}');
    };
    pump();
  });
}
