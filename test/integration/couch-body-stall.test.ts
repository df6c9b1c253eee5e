import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CouchClient } from '../../src/couch/couch-client.js';
import { CouchError } from '../../src/couch/couch-error.js';

/**
 * A server that sends a 200 and the start of a JSON body, then nothing (a peer lost behind a
 * firewall after the headers). nano swallows the aborted body read and resolves with '', which
 * the _db_updates watcher took for a completed poll (and no timeout was counted).
 */
describe('a CouchDB request whose body stalls after the headers', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"results":[');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails with a timeout at its deadline instead of resolving with an empty body', async () => {
    const couch = new CouchClient({ url, requestTimeoutMs: 300 });
    const err = await couch.dbUpdates({ since: 'now', timeoutMs: 100 }).then(
      (page) => page,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CouchError);
    expect((err as CouchError).kind).toBe('timeout');
  });
});
