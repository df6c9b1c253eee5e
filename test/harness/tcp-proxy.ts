import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { carryCredentials } from './urls.js';

/**
 * A TCP proxy that can simulate a network partition: `freeze()` silently drops all traffic of
 * the connections open at that moment, forever (they neither deliver nor close, like a dead
 * peer behind a firewall), and of connections opened while frozen. After `thaw()` new
 * connections work again; only a client that abandons its stalled requests recovers.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly dead = new WeakSet<Socket>();
  private frozen = false;
  private readonly target: { host: string; port: number };
  port = 0;

  /** `target`: the server's URL, whose credentials the proxy's URL keeps. */
  constructor(private readonly targetUrl: string) {
    const url = new URL(targetUrl);
    this.target = { host: url.hostname, port: Number(url.port) };
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return carryCredentials(`http://127.0.0.1:${this.port}`, this.targetUrl);
  }

  freeze(): void {
    this.frozen = true;
    for (const socket of this.sockets) this.dead.add(socket);
  }

  thaw(): void {
    this.frozen = false;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = createConnection(this.target);
    this.sockets.add(client);
    if (this.frozen) this.dead.add(client);
    const forward = (from: Socket, to: Socket) =>
      from.on('data', (chunk) => {
        if (!this.dead.has(client)) to.write(chunk);
      });
    forward(client, upstream);
    forward(upstream, client);
    const close = () => {
      this.sockets.delete(client);
      if (this.dead.has(client)) return; // a partitioned peer never says goodbye
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => {
      this.sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }
}
