import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { isAllowedHost } from '@kazoo-numbers-sync/embedded-couch';
import type { Logger } from '../log/logger.js';
import type { Readiness } from './readiness.js';

export const DASHBOARD_PATH = '/dashboard';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  readiness: () => Promise<Readiness>;
  metrics: () => Promise<{ contentType: string; body: string }>;
  /** Mounted at /dashboard when configured; otherwise /dashboard is 404. */
  dashboard?: RequestHandler;
}

/** The ops HTTP endpoint: /healthz, /readyz, /metrics and the optional /dashboard. */
export class OpsServer {
  private readonly server: Server;
  private url: string | undefined;

  constructor(private readonly opts: OpsServerOptions) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        opts.logger.warn({ err: err instanceof Error ? err.message : String(err), path: req.url?.slice(0, 200) }, 'ops endpoint request failed');
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
  }

  /** Listens and resolves with the base URL (with the actual port when 0 was asked). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { address, port } = this.server.address() as AddressInfo;
    this.url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
    return this.url;
  }

  /** Stops accepting requests and drops open (keep-alive) connections. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Bound to loopback, a Host that is not a loopback name is a page on another domain that
    // resolves to 127.0.0.1 (DNS rebinding): it would read /metrics from a local browser.
    if (isLoopbackBind(this.opts.host) && !isAllowedHost(req.headers.host, this.opts.host)) {
      return send(res, 421, 'text/plain', 'misdirected request: Host must be a loopback name or address\n');
    }
    const path = new URL(req.url ?? '/', 'http://ops').pathname;
    if (this.opts.dashboard && (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`))) return this.opts.dashboard(req, res);
    const endpoint = ENDPOINTS.get(path);
    if (!endpoint) return send(res, 404, 'text/plain', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'method not allowed\n');
    }
    switch (endpoint) {
      case 'healthz':
        // Answering at all proves the event loop runs.
        return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
      case 'readyz': {
        const readiness = await this.opts.readiness();
        return send(res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
      }
      case 'metrics': {
        const { contentType, body } = await this.opts.metrics();
        return send(res, 200, contentType, body);
      }
    }
  }
}

const ENDPOINTS = new Map<string, 'healthz' | 'readyz' | 'metrics'>([
  ['/healthz', 'healthz'],
  ['/readyz', 'readyz'],
  ['/metrics', 'metrics'],
]);

/** Bound to loopback only; elsewhere scrapers may name the endpoint by any DNS name. */
function isLoopbackBind(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
