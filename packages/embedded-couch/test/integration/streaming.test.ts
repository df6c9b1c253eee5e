// Memory stays bounded for large _changes: PouchDB is queried in pages and the socket paces us.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import nano from 'nano';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedCouchServer, type EmbeddedCouchServer } from '../../src/server.js';

let embedded: EmbeddedCouchServer;
/** With credentials, for nano. */
let url: string;
/** Without, for fetch and http.request (which send `auth`). */
let base: string;
const admin = { username: 'admin', password: 'streaming-test-password' };
const auth = { authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}` };

beforeAll(async () => {
  // In process, so the test can watch the queries the server makes.
  embedded = await createEmbeddedCouchServer({ admin });
  await new Promise<void>((r) => embedded.server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(embedded.server.address() as { port: number }).port}`;
  url = `http://${admin.username}:${admin.password}@${base.slice('http://'.length)}`;
});

afterAll(async () => {
  await embedded?.close();
});

const DOCS = 10_000;
const PADDING = 'x'.repeat(2000); // ~20 MB of JSON in the whole feed

describe('large _changes', () => {
  it('is read from PouchDB in bounded pages, paced by a slow client', { timeout: 120_000 }, async () => {
    const server = nano(url);
    await server.db.create('big');
    const db = server.db.use('big');
    for (let i = 0; i < DOCS; i += 1000) {
      await db.bulk({ docs: Array.from({ length: 1000 }, (_, j) => ({ _id: `doc${String(i + j).padStart(6, '0')}`, padding: PADDING })) });
    }

    const lease = (await embedded.registry.acquire('big'))!;
    const instance = lease.db;
    const pages: Array<{ limit: unknown; rows: number }> = [];
    const original = instance.changes.bind(instance);
    instance.changes = async (opts) => {
      const result = await original(opts);
      pages.push({ limit: opts.limit, rows: result.results.length });
      return result;
    };

    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      httpRequest(`${base}/big/_changes?include_docs=true`, { headers: auth }, resolve).on('error', reject).end();
    });
    expect(res.headers['content-length']).toBeUndefined(); // streamed, not built in memory
    res.pause();
    await new Promise((r) => setTimeout(r, 1500));
    // A client that reads nothing holds the server back after a few pages (socket buffers).
    const whilePaused = pages.length;
    expect(whilePaused).toBeLessThan(DOCS / 500);

    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (text += c));
    res.resume();
    await new Promise((r) => res.on('end', r));
    const body = JSON.parse(text) as { results: Array<{ id: string; doc: { padding: string } }>; last_seq: number; pending: number };
    expect(body.results).toHaveLength(DOCS);
    expect(body.results[DOCS - 1]!.doc.padding).toBe(PADDING);
    expect(body.last_seq).toBe(DOCS);
    expect(body.pending).toBe(0);
    expect(pages.every((p) => typeof p.limit === 'number' && p.limit <= 500 && p.rows <= 500)).toBe(true);
    expect(pages.length).toBeGreaterThanOrEqual(DOCS / 500);
    lease.release();
  });
});

describe('abandoned feeds', () => {
  it('release their watches when the client goes away (express-pouchdb never cancelled them)', { timeout: 30_000 }, async () => {
    await nano(url).db.create('abandon');
    const open = async (path: string) => {
      const abort = new AbortController();
      const res = await fetch(`${base}${path}`, { headers: auth, signal: abort.signal });
      await res.body?.getReader().read(); // the first heartbeat: the feed is running
      return abort;
    };
    const feeds = await Promise.all([
      ...Array.from({ length: 10 }, () => open('/abandon/_changes?feed=continuous&since=now&heartbeat=100')),
      ...Array.from({ length: 10 }, () => open('/abandon/_changes?feed=longpoll&since=now&heartbeat=100')),
      ...Array.from({ length: 10 }, () => open('/_db_updates?feed=longpoll&since=now&heartbeat=100')),
    ]);
    expect(embedded.registry.watchCount).toBe(20);
    for (const abort of feeds) abort.abort();
    const deadline = Date.now() + 10_000;
    while ((embedded.registry.watchCount > 0 || embedded.updates.waiting > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(embedded.registry.watchCount).toBe(0);
    expect(embedded.updates.waiting).toBe(0);
  });
});
