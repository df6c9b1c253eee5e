import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { carryCredentials } from './urls.js';

export interface ProxyReply {
  status: number;
  body: unknown;
}

/**
 * An HTTP proxy in front of a CouchDB that lets a test answer chosen requests itself
 * (`intercept` returns a reply) and forwards everything else untouched.
 */
export class HttpProxy {
  private readonly server: Server;
  intercept: (req: IncomingMessage) => ProxyReply | undefined = () => undefined;
  /** Forwards a request only once the promise it returns settles (undefined: at once). */
  hold: (req: IncomingMessage) => Promise<void> | undefined = () => undefined;

  constructor(private readonly target: URL) {
    this.server = createServer((req, res) => {
      const reply = this.intercept(req);
      if (reply) {
        req.resume();
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
        return;
      }
      const forward = () => {
        const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        });
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      };
      const gate = this.hold(req);
      if (gate) void gate.finally(forward);
      else forward();
    });
  }

  /** The proxy's URL, with the target's credentials (the client authenticates through it). */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return carryCredentials(`http://127.0.0.1:${port}`, this.target.href);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
