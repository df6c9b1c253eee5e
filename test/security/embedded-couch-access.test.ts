// Issue 15 item 1: nothing local can use the embedded server without its credentials, it runs
// no JavaScript from design documents, and it answers only requests addressed to loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { adminAuth, anonUrl, send } from './couch-access.js';
import { processAlive } from '../../src/embedded/process-identity.js';

// The payload: reach Node's `process` from a design function and kill the server with it.
// If any of these ran, the server would be gone.
const ESCAPE = 'this.constructor.constructor("return process")()';
const GLOBAL_ESCAPE = 'globalThis.constructor.constructor("return process")()';
const killer = (escapeExpr: string) => `function (doc, req) { var p = ${escapeExpr}; p.kill(p.pid, "SIGKILL"); return true; }`;

let couch: EmbeddedCouch;
let base: string;
let auth: Record<string, string>;
const DB = 'numbers%2F%2B1415';

beforeAll(async () => {
  couch = await startEmbeddedCouch({});
  base = anonUrl(couch);
  auth = adminAuth(couch);
});

afterAll(async () => {
  await couch?.stop();
});

describe('no anonymous access', () => {
  it('starts with generated admin credentials, kept out of argv', async () => {
    const c = couch as EmbeddedCouch & { admin?: { username: string; password: string }; baseUrl?: string };
    expect(c.admin?.username).toBeTruthy();
    expect(c.admin?.password.length).toBeGreaterThanOrEqual(20);
    expect(c.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { readFile } = await import('node:fs/promises');
    const cmdline = await readFile(`/proc/${couch.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(c.admin?.password ?? '\u0000none');
  });

  it('answers 401 to every database route without credentials; / and /_up stay public', async () => {
    for (const [method, path] of [
      ['GET', '/_all_dbs'],
      ['GET', '/_db_updates'],
      ['GET', '/_uuids'],
      ['PUT', `/${DB}`],
      ['GET', `/${DB}`],
      ['PUT', `/${DB}/%2B14155550100`],
      ['GET', `/${DB}/%2B14155550100`],
      ['GET', `/${DB}/_changes`],
      ['GET', `/${DB}/_all_docs`],
    ] as const) {
      const r = await send(base, path, { method, headers: { 'content-type': 'application/json' }, body: method === 'PUT' ? '{}' : undefined });
      expect({ method, path, status: r.status, error: r.body?.error }).toEqual({ method, path, status: 401, error: 'unauthorized' });
    }
    expect((await send(base, '/')).status).toBe(200);
    expect((await send(base, '/_up')).status).toBe(200);
    // The database was never created.
    expect((await send(base, `/${DB}`, { headers: auth })).status).toBe(404);
  });
});

describe('no JavaScript from design documents', () => {
  beforeAll(async () => {
    expect((await send(base, `/${DB}`, { method: 'PUT', headers: auth })).status).toBe(201);
    const ddoc = {
      language: 'javascript',
      filters: { f: killer(ESCAPE) },
      views: { v: { map: `function (doc) { var p = ${GLOBAL_ESCAPE}; p.kill(p.pid, "SIGKILL"); emit(doc._id, 1); }` } },
      shows: { s: killer(ESCAPE) },
      lists: { l: killer(ESCAPE) },
      updates: { u: killer(ESCAPE) },
      rewrites: killer(ESCAPE),
      validate_doc_update: killer(ESCAPE),
    };
    // Storing a design document is allowed (the daemon must see and skip them); running it is not.
    const put = await send(base, `/${DB}/_design/x`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(ddoc) });
    expect(put.status).toBe(201);
    const doc = await send(base, `/${DB}/%2B14155550100`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"pvt_state":"in_service"}',
    });
    expect(doc.status).toBe(201); // validate_doc_update did not run
  });

  it('refuses design-document filters, _view filters, views, shows, lists, updates, rewrites and temp views', async () => {
    const json = { ...auth, 'content-type': 'application/json' };
    for (const [method, path] of [
      ['GET', `/${DB}/_changes?filter=x/f`],
      ['GET', `/${DB}/_changes?filter=x/f&feed=longpoll&timeout=500`],
      ['GET', `/${DB}/_changes?filter=_view&view=x/v`],
      ['GET', `/${DB}/_design/x/_view/v`],
      ['GET', `/${DB}/_design/x/_show/s`],
      ['GET', `/${DB}/_design/x/_show/s/%2B14155550100`],
      ['GET', `/${DB}/_design/x/_list/l/v`],
      ['POST', `/${DB}/_design/x/_update/u`],
      ['PUT', `/${DB}/_design/x/_update/u/%2B14155550100`],
      ['GET', `/${DB}/_design/x/_rewrite/anything`],
      ['POST', `/${DB}/_temp_view`],
    ] as const) {
      const body = method === 'GET' ? undefined : JSON.stringify({ map: killer(GLOBAL_ESCAPE) });
      const r = await send(base, path, { method, headers: json, body });
      const refused = (r.status >= 400 && r.status < 500) || r.status === 501;
      expect({ method, path, refused, status: r.status }).toEqual({ method, path, refused: true, status: r.status });
      expect(processAlive(couch.pid)).toBe(true);
    }
  });

  it('is still alive and serving after every payload', async () => {
    expect(processAlive(couch.pid)).toBe(true);
    const r = await send(base, `/${DB}/_changes`, { headers: auth });
    expect(r.status).toBe(200);
    expect(r.body?.results as unknown[]).toHaveLength(2);
  });
});

describe('DNS rebinding', () => {
  // A server of its own: the payloads above must not decide this test's fate.
  let own: EmbeddedCouch;
  let base: string;
  let auth: Record<string, string>;
  beforeAll(async () => {
    own = await startEmbeddedCouch({});
    base = anonUrl(own);
    auth = adminAuth(own);
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('answers 400 to a Host that is not a loopback name or address', async () => {
    const port = new URL(base).port;
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.nip.io:${port}`, '']) {
      const r = await send(base, '/_all_dbs', { headers: { ...auth, host } });
      expect({ host, status: r.status }).toEqual({ host, status: 400 });
      const root = await send(base, '/', { headers: { host } });
      expect({ host, status: root.status }).toEqual({ host, status: 400 });
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `127.1.2.3:${port}`]) {
      const r = await send(base, '/_all_dbs', { headers: { ...auth, host } });
      expect({ host, status: r.status }).toEqual({ host, status: 200 });
    }
  });
});
