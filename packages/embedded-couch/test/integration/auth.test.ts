// Defect 8: optional admin credentials (express-pouchdb's minimum mode has no authentication).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import nano from 'nano';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';
import { withCredentials } from '../../src/url-credentials.js';
import { nanoError, raw, uniqueName } from '../helpers.js';

const admin = { username: 'admin', password: 'p@ss:word/with+odd chars' };
const basic = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;
let couch: EmbeddedCouch;

beforeAll(async () => {
  couch = await startEmbeddedCouch({ admin });
});

afterAll(async () => {
  await couch?.stop();
});

function authedUrl(): string {
  return withCredentials(couch.baseUrl, admin);
}

describe('admin credentials configured', () => {
  it('keeps the base URL credential-free and GET / public', async () => {
    expect(couch.baseUrl).not.toContain('@');
    const r = await raw(couch.baseUrl, '/');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ couchdb: 'Welcome' });
  });

  it('answers 401 JSON without credentials, including _all_dbs and _db_updates', async () => {
    const name = uniqueName('auth');
    const requests: Array<[string, RequestInit]> = [
      ['/_all_dbs', {}],
      ['/_db_updates', {}],
      ['/_db_updates?feed=longpoll&timeout=100', {}],
      [`/${name}`, { method: 'PUT' }],
      [`/${name}`, {}],
      [`/${name}/doc`, {}],
      [`/${name}/_changes`, {}],
      ['/_uuids', {}],
    ];
    for (const [path, init] of requests) {
      const r = await raw(couch.baseUrl, path, init);
      expect({ path, status: r.status, error: (r.body as { error?: string }).error }).toEqual({ path, status: 401, error: 'unauthorized' });
    }
    const anon = nano(couch.baseUrl);
    expect(await nanoError(anon.db.list())).toMatchObject({ statusCode: 401, error: 'unauthorized' });
  });

  it('rejects wrong credentials', async () => {
    const wrong = `Basic ${Buffer.from('admin:nope').toString('base64')}`;
    const r = await raw(couch.baseUrl, '/_all_dbs', { headers: { Authorization: wrong } });
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'unauthorized', reason: 'Name or password is incorrect.' });
    const other = `Basic ${Buffer.from(`someone:${admin.password}`).toString('base64')}`;
    expect((await raw(couch.baseUrl, '/_all_dbs', { headers: { Authorization: other } })).status).toBe(401);
    expect((await raw(couch.baseUrl, '/_all_dbs', { headers: { Authorization: 'Bearer x' } })).status).toBe(401);
  });

  it('serves everything with HTTP basic auth (nano with credentials in the URL)', async () => {
    const server = nano(authedUrl());
    const name = `${uniqueName('numbers')}/+1415`;
    await server.db.create(name);
    const db = server.db.use<Record<string, unknown>>(name);
    await db.insert({ _id: 'a', v: 1 });
    expect(await db.get('a')).toMatchObject({ v: 1 });
    expect((await db.changes()).results.map((r) => r.id)).toEqual(['a']);
    expect(await server.db.list()).toContain(name);
    const updates = (await raw(couch.baseUrl, '/_db_updates?since=0', { headers: { Authorization: basic } })).body as { results: Array<{ db_name: string }> };
    expect(updates.results.some((e) => e.db_name === name)).toBe(true);
  });

  it('supports cookie sessions via POST /_session (nano.auth)', async () => {
    const bad = await raw(couch.baseUrl, '/_session', { method: 'POST', json: { name: admin.username, password: 'nope' } });
    expect(bad.status).toBe(401);

    const login = await raw(couch.baseUrl, '/_session', { method: 'POST', json: { name: admin.username, password: admin.password } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ ok: true, name: admin.username, roles: ['_admin'] });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^AuthSession=.+/);
    expect((await raw(couch.baseUrl, '/_all_dbs', { headers: { Cookie: cookie } })).status).toBe(200);
    const session = await raw(couch.baseUrl, '/_session', { headers: { Cookie: cookie } });
    expect(session.body).toMatchObject({ ok: true, userCtx: { name: admin.username, roles: ['_admin'] }, info: { authenticated: 'cookie' } });
    // A tampered cookie is worthless.
    expect((await raw(couch.baseUrl, '/_all_dbs', { headers: { Cookie: `${cookie.slice(0, -2)}xx` } })).status).toBe(401);

    const server = nano(couch.baseUrl);
    await server.auth(admin.username, admin.password);
    expect(Array.isArray(await server.db.list())).toBe(true);

    const anonymous = await raw(couch.baseUrl, '/_session');
    expect(anonymous.body).toMatchObject({ ok: true, userCtx: { name: null, roles: [] } });
  });

  it('reads --admin from the command line of main.ts', { timeout: 30_000 }, async () => {
    const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const env = { ...process.env };
    delete env.EMBEDDED_COUCH_ADMIN;
    const child = spawn(process.execPath, ['--import', tsx, main, '--port', '0', '--admin', 'root:secret'], { stdio: ['ignore', 'pipe', 'inherit'], env });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(line.split('\n').filter(Boolean)).toHaveLength(1);
      const { event, url } = JSON.parse(line) as { event: string; url: string };
      expect(event).toBe('listening');
      expect((await raw(url, '/_all_dbs')).status).toBe(401);
      const ok = await raw(url, '/_all_dbs', { headers: { Authorization: `Basic ${Buffer.from('root:secret').toString('base64')}` } });
      expect(ok.status).toBe(200);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

describe('no admin configured', () => {
  // There is no admin party any more (issue 15): random credentials are generated instead.
  it('generates credentials and is closed to everyone else', async () => {
    const open = await startEmbeddedCouch({});
    try {
      expect(open.admin.password.length).toBeGreaterThanOrEqual(20);
      expect((await raw(open.baseUrl, '/_all_dbs')).status).toBe(401);
      expect((await raw(open.baseUrl, '/_session')).body).toMatchObject({ userCtx: { name: null, roles: [] } });
      expect((await raw(open.url, '/_all_dbs')).status).toBe(200);
    } finally {
      await open.stop();
    }
  });
});
