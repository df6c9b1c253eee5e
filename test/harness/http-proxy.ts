import { createServer, request, type IncomingMessage, type Server } from 'node:http';

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

  constructor(private readonly target: URL) {
    this.server = createServer((req, res) => {
      const reply = this.intercept(req);
      if (reply) {
        req.resume();
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
        return;
      }
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    // The target's credentials, if any: clients authenticate through the proxy unchanged.
    const url = new URL(`http://127.0.0.1:${port}`);
    url.username = this.target.username;
    url.password = this.target.password;
    return url.toString().replace(/\/$/, '');
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
