// HEAD requests over node:http with a keep-alive agent. undici (fetch, hence nano) closes the
// connection after every HEAD (it guards against servers that send a body anyway), so each
// rebuild's HEAD cost a new TCP connection: a connect, a close and a socket in TIME_WAIT.
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { toCouchError } from './couch-error.js';
import { requestDeadline } from './request-deadline.js';

export interface HeadOptions {
  /** Full URL without credentials. */
  url: string;
  headers: Record<string, string>;
  /** For error messages (never carries credentials). */
  what: string;
  signal?: AbortSignal;
  timeoutMs: number;
}

/** Idle pooled sockets are dropped before a typical server drops them (undici's default too). */
const IDLE_SOCKET_MS = 4000;

export class HeadRequester {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(base: URL) {
    const secure = base.protocol === 'https:';
    this.agent = secure ? new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }) : new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });
    this.request = secure ? https.request : http.request;
  }

  /** The response headers of a 2xx answer; any other status or failure throws a CouchError. */
  async head(opts: HeadOptions): Promise<IncomingHttpHeaders> {
    const deadline = requestDeadline(opts.timeoutMs, opts.signal);
    try {
      const res = await this.send(opts, deadline.signal, true);
      if (res.status < 200 || res.status >= 300) throw { statusCode: res.status };
      return res.headers;
    } catch (err) {
      throw toCouchError(err, opts.what);
    } finally {
      deadline.release();
    }
  }

  private send(opts: HeadOptions, signal: AbortSignal, retryOnReset: boolean): Promise<{ status: number; headers: IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const req = this.request(opts.url, { method: 'HEAD', headers: opts.headers, agent: this.agent, signal }, (res) => {
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
        res.resume();
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A pooled socket the server closed just as it was reused: a HEAD is safe to send again.
        if (retryOnReset && req.reusedSocket && err.code === 'ECONNRESET' && !signal.aborted) resolve(this.send(opts, signal, false));
        else reject(err);
      });
      req.end();
    });
  }
}
