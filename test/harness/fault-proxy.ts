import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { carryCredentials } from './urls.js';

export interface FaultProxy {
  /** With the target's credentials. */
  url: string;
  /** Requests answered with the injected failure, with their arrival time. */
  readonly failed: Array<{ method: string; path: string; at: number }>;
  close(): Promise<void>;
}

/**
 * A plain HTTP pass-through in front of a real server that answers 500 to the requests
 * `shouldFail` picks: a database that keeps failing, without touching the server itself.
 */
export async function startFaultProxy(target: string, shouldFail: (req: IncomingMessage) => boolean): Promise<FaultProxy> {
  const upstream = new URL(target);
  const failed: FaultProxy['failed'] = [];
  const server: Server = createServer((req, res) => {
    if (shouldFail(req)) {
      failed.push({ method: req.method ?? 'GET', path: req.url ?? '', at: Date.now() });
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal_server_error', reason: 'injected by the test proxy' }));
      return;
    }
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    res.on('close', () => forward.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  // The target's credentials, if any: clients authenticate through the proxy unchanged.
  const url = new URL(`http://127.0.0.1:${port}`);
  url.username = upstream.username;
  url.password = upstream.password;
  return {
    url: carryCredentials(`http://127.0.0.1:${port}`, target),
    failed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
