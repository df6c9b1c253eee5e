// Issue 15 item 5 and the cross-site suspicion: bounded bodies, bounded open files, no data paths
// in errors, and no writes a web page could make from a browser.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { adminAuth, anonUrl, send } from './couch-access.js';

const MB = 1024 * 1024;
let dir: string;
let couch: EmbeddedCouch;
let base: string;
let json: Record<string, string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nsync-couch-limits-'));
  couch = await startEmbeddedCouch({ dataDir: join(dir, 'couch') });
  base = anonUrl(couch);
  json = { ...adminAuth(couch), 'content-type': 'application/json' };
  expect((await send(base, '/big', { method: 'PUT', headers: json })).status).toBe(201);
});

afterAll(async () => {
  await couch?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('request bodies are limited to 64 MB', () => {
  it('answers 413 to a document body declared larger than 64 MB', { timeout: 120_000 }, async () => {
    const r = await send(base, '/big/huge', { method: 'PUT', headers: json, declaredBytes: 65 * MB });
    expect(r.status).toBe(413);
    expect(r.body?.error).toBe('too_large');
  });

  it('answers 413 to a chunked body that grows past 64 MB', { timeout: 120_000 }, async () => {
    const r = await send(base, '/big/huge', { method: 'PUT', headers: json, chunkedBytes: 65 * MB });
    expect(r.status).toBe(413);
    const attachment = await send(base, '/big/doc/att.bin', {
      method: 'PUT',
      headers: { ...json, 'content-type': 'application/octet-stream' },
      chunkedBytes: 65 * MB,
    });
    expect(attachment.status).toBe(413);
    expect((await send(base, '/big/huge', { headers: json })).status).toBe(404);
  });
});

describe('error bodies', () => {
  it('never disclose absolute paths of the data directory', async () => {
    // A file where a database directory should be: leveldb fails to open it.
    await writeFile(join(dir, 'couch', 'broken'), 'not a leveldb directory');
    const r = await send(base, '/broken', { method: 'PUT', headers: json });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.text).not.toContain(dir);
    expect(r.text).not.toMatch(/\/tmp\/|\/home\/|\/root\//);
  });
});

describe('cross-site writes', () => {
  it('answers 415 to POSTs a web page could send without a preflight (text/plain, forms)', async () => {
    const before = (await send(base, '/big', { headers: json })).body?.doc_count;
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const headers = { ...json, 'content-type': type };
      const r = await send(base, '/big', { method: 'POST', headers, body: '{"_id":"csrf","pvt_state":"in_service"}' });
      expect({ type, status: r.status }).toEqual({ type, status: 415 });
      const bulk = await send(base, '/big/_bulk_docs', { method: 'POST', headers, body: '{"docs":[{"_id":"csrf2"}]}' });
      expect({ type, status: bulk.status }).toEqual({ type, status: 415 });
      const doc = await send(base, '/big/csrf3', { method: 'POST', headers, body: '--x\r\n\r\n--x--' });
      expect({ type, status: doc.status }).toEqual({ type, status: 415 });
    }
    expect((await send(base, '/big', { headers: json })).body?.doc_count).toBe(before);
  });

  it('answers 403 to any request carrying an Origin header (CORS is not enabled)', async () => {
    const origin = { ...json, origin: 'http://evil.example' };
    expect((await send(base, '/big', { method: 'POST', headers: origin, body: '{"_id":"cors"}' })).status).toBe(403);
    expect((await send(base, '/_all_dbs', { headers: origin })).status).toBe(403);
    expect((await send(base, '/big/cors', { headers: json })).status).toBe(404);
  });

  it("still takes a document PUT with curl -d's form content type, as CouchDB does", async () => {
    const r = await send(base, '/big/curl', { method: 'PUT', headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' }, body: '{"v":1}' });
    expect(r.status).toBe(201);
    expect((await send(base, '/big/curl', { headers: json })).body).toMatchObject({ v: 1 });
  });
});

describe('data files are private', () => {
  it('creates the data directory 0700 and leveldb files 0600, whatever the umask of the parent', async () => {
    expect(process.umask() & 0o077).not.toBe(0o077); // the test means something only with a permissive umask
    expect((await stat(join(dir, 'couch'))).mode & 0o777).toBe(0o700);
    const dbDir = join(dir, 'couch', 'big');
    expect((await stat(dbDir)).mode & 0o777).toBe(0o700);
    for (const file of await readdir(dbDir)) {
      expect({ file, mode: ((await stat(join(dbDir, file))).mode & 0o777).toString(8) }).toEqual({ file, mode: '600' });
    }
  });

  it.runIf(process.getuid?.() === 0)('keeps another local user (nobody) out of the data and the server', async () => {
    await chmod(dir, 0o755); // only the server's own modes stand in the way
    const asNobody = (cmd: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...cmd], { encoding: 'utf8' });
    expect(asNobody(['ls', dir]).status).toBe(0); // the user really is there and can look around
    expect(asNobody(['ls', join(dir, 'couch')]).stderr).toMatch(/Permission denied/);
    const script = `fetch(${JSON.stringify(`${base}/_all_dbs`)}).then((r) => console.log(r.status))`;
    expect(asNobody([process.execPath, '-e', script]).stdout.trim()).toBe('401');
  });
});

describe('open database files are bounded', () => {
  it('creates 1,500 databases and then numbers/+1415 under ulimit -n 1024', { timeout: 600_000 }, async () => {
    const fdDir = await mkdtemp(join(tmpdir(), 'nsync-couch-fds-'));
    const server = await startEmbeddedCouch({ dataDir: join(fdDir, 'couch') });
    try {
      execFileSync('prlimit', [`--pid=${server.pid}`, '--nofile=1024:1024']);
      const b = anonUrl(server);
      const h = { ...adminAuth(server), 'content-type': 'application/json' };
      const names = Array.from({ length: 1500 }, (_, i) => `db${String(i).padStart(4, '0')}`);
      for (let i = 0; i < names.length; i += 10) {
        const answers = await Promise.all(names.slice(i, i + 10).map((n) => send(b, `/${n}`, { method: 'PUT', headers: h })));
        const failed = answers.find((a) => a.status !== 201);
        expect(failed?.text ?? 'ok', `creating ${names[i]}..`).toBe('ok');
      }
      const created = await send(b, '/numbers%2F%2B1415', { method: 'PUT', headers: h });
      expect(created.text).toContain('"ok":true');
      expect((await send(b, '/numbers%2F%2B1415/%2B14155550100', { method: 'PUT', headers: h, body: '{"pvt_state":"in_service"}' })).status).toBe(201);
      // Every database still answers: closed ones are reopened on demand.
      expect((await send(b, '/db0000/a', { method: 'PUT', headers: h, body: '{}' })).status).toBe(201);
      expect((await send(b, '/db0000', { headers: h })).body).toMatchObject({ doc_count: 1 });
      const fds = (await readdir(`/proc/${server.pid}/fd`)).length;
      expect(fds).toBeLessThan(900);
    } finally {
      await server.stop();
      await rm(fdDir, { recursive: true, force: true });
    }
  });
});
