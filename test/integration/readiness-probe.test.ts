import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CouchClient } from '../../src/couch/couch-client.js';
import { classifyUp, probeCouch } from '../../src/http/readiness-probe.js';
import { sharedCouchUrl } from '../harness/servers.js';

interface Answer {
  status: number;
  body: unknown;
  /** Never answer (a banner that hangs, as on a node whose cluster membership is stuck). */
  hang?: boolean;
}

/** A stand-in CouchDB whose `/_up` and `/` answer what the test says, counting requests. */
class FakeCouch {
  up: Answer = { status: 200, body: { status: 'ok', seeds: {} } };
  root: Answer = { status: 200, body: { couchdb: 'Welcome', version: '3.5.2' } };
  readonly asked: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    this.asked.push(path);
    const answer = path === '/_up' ? this.up : path === '/' ? this.root : { status: 404, body: { error: 'not_found', reason: 'missing' } };
    if (answer.hang) return;
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('readiness probe of CouchDB (GET /_up)', () => {
  const fake = new FakeCouch();
  let client: CouchClient;

  beforeAll(async () => {
    client = new CouchClient({ url: await fake.start() });
  });

  afterAll(async () => {
    await fake.stop();
  });

  it('asks /_up only: a hanging GET / does not make a healthy server unready', async () => {
    fake.root = { status: 200, body: {}, hang: true };
    fake.asked.length = 0;
    expect(await probeCouch(client, 1000)).toBe('up (ok)');
    expect(fake.asked).toEqual(['/_up']);
  });

  it('reports maintenance mode (404 with a status) as not ready, without falling back', async () => {
    fake.up = { status: 404, body: { status: 'maintenance_mode' } };
    fake.root = { status: 200, body: { couchdb: 'Welcome', version: '3.5.2' } };
    fake.asked.length = 0;
    await expect(probeCouch(client, 1000)).rejects.toThrow(/maintenance_mode/);
    expect(fake.asked).toEqual(['/_up']);
  });

  it('falls back to GET / only when the server has no /_up (404 not_found)', async () => {
    fake.up = { status: 404, body: { error: 'not_found', reason: 'missing' } };
    fake.asked.length = 0;
    expect(await probeCouch(client, 1000)).toBe('answers (version 3.5.2) (no /_up)');
    expect(fake.asked).toEqual(['/_up', '/']);
    fake.root = { status: 500, body: { error: 'internal_server_error', reason: 'boom' } };
    await expect(probeCouch(client, 1000)).rejects.toThrow(/500/);
  });

  it('fails within its bound when /_up hangs', async () => {
    fake.up = { status: 200, body: {}, hang: true };
    await expect(probeCouch(client, 300)).rejects.toThrow();
  });

  it('passes on the suite server (embedded in CouchDB 3 fidelity mode, or COUCHDB_URL)', async () => {
    expect(await probeCouch(new CouchClient({ url: sharedCouchUrl() }), 5000)).toMatch(/^up/);
  });

  it('classifies /_up answers', () => {
    expect(classifyUp(200, { status: 'ok', seeds: {} })).toEqual({ up: true, detail: 'up (ok)' });
    expect(classifyUp(404, { status: 'nolb' })).toEqual({ up: false, detail: '/_up answers 404 nolb' });
    expect(classifyUp(404, { status: 'seeding' })).toMatchObject({ up: false });
    expect(classifyUp(404, { error: 'not_found' })).toEqual({ up: 'no_endpoint' });
  });
});
