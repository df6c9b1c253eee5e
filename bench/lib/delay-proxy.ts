// An HTTP proxy in front of CouchDB that slows down writes to account databases: the
// "artificially slow write path" of the workers-scale scenario. Everything else passes through
// (the idle-rescan scenario counts requests with it, delay 0).
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayProxy {
  url: string;
  /** Requests that were delayed. */
  delayed(): number;
  close(): Promise<void>;
}

/** True for a write (PUT/POST/DELETE) to an `account/...` database. */
export function isAccountWrite(method: string | undefined, url: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD' && /^\/account%2F/i.test(url ?? '');
}

/** A reply the proxy gives itself instead of forwarding. */
export interface ProxyReply {
  status: number;
  body: unknown;
}

/** `inspect` sees every request (to count it) and may answer it instead of CouchDB. */
export async function startDelayProxy(target: string, delayMs: number, inspect?: (req: IncomingMessage) => ProxyReply | undefined): Promise<DelayProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let delayed = 0;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const out = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host }, agent },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  };
  const server = createServer((req, res) => {
    const reply = inspect?.(req);
    if (reply) {
      req.resume();
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify(reply.body));
    }
    if (!isAccountWrite(req.method, req.url) || delayMs === 0) return forward(req, res);
    delayed++;
    req.pause();
    setTimeout(() => {
      req.resume();
      forward(req, res);
    }, delayMs);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const auth = upstream.username ? `${upstream.username}:${upstream.password}@` : '';
  return {
    url: `http://${auth}127.0.0.1:${port}`,
    delayed: () => delayed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
