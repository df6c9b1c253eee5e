// On-disk (leveldb) mode: file names for slash databases, restarts (clean and SIGKILL), launcher failures.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import nano from 'nano';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';
import { nanoError, processAlive, raw } from '../helpers.js';

const dirs: string[] = [];
const running = new Set<EmbeddedCouch>();

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'embedded-couch-'));
  dirs.push(dir);
  return dir;
}

async function start(dataDir: string): Promise<EmbeddedCouch> {
  // Views on: their index directories on disk are part of what is tested here.
  const couch = await startEmbeddedCouch({ dataDir, jsViews: true });
  running.add(couch);
  return couch;
}

afterAll(async () => {
  await Promise.all([...running].map((c) => c.stop()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('on-disk data', () => {
  it('stores slash databases under encoded file names and keeps them across restarts', { timeout: 60_000 }, async () => {
    const dataDir = tempDir();
    let couch = await start(dataDir);
    let server = nano(couch.url);
    await server.db.create('numbers/+1415');
    await server.db.create('numbers/+4420');
    await server.db.create('gone');
    const db = () => server.db.use<Record<string, unknown>>('numbers/+1415');
    await db().bulk({
      docs: [
        { _id: '+14155550100', state: 'in_service' },
        { _id: '+14155550101', state: 'reserved' },
      ],
    });
    const local = await db().insert({ _id: '_local/checkpoint', seq: 2 });
    // A view index lives in a sibling leveldb directory; it must not turn into a database.
    await db().insert({ _id: '_design/app', views: { byState: { map: 'function (doc) { emit(doc.state, null); }' } } });
    expect((await db().view('app', 'byState', { key: 'reserved' })).rows.map((r) => r.id)).toEqual(['+14155550101']);
    await server.db.destroy('gone');

    const files = readdirSync(dataDir);
    expect(files).toContain('numbers%2F%2B1415');
    expect(files).toContain('numbers%2F%2B4420');
    expect(files).not.toContain('gone');
    expect(files.some((f) => f.includes('/'))).toBe(false);
    expect(files.some((f) => f.startsWith('numbers%2F%2B1415-mrview-'))).toBe(true);

    // Clean restart (SIGTERM).
    await couch.stop();
    running.delete(couch);
    expect(processAlive(couch.pid)).toBe(false);
    couch = await start(dataDir);
    server = nano(couch.url);
    expect(await server.db.list()).toEqual(['numbers/+1415', 'numbers/+4420']);
    expect(await server.db.get('numbers/+1415')).toMatchObject({ doc_count: 3, update_seq: 3 });
    expect((await db().view('app', 'byState', { key: 'in_service' })).rows.map((r) => r.id)).toEqual(['+14155550100']);
    expect(await db().get('+14155550100')).toMatchObject({ state: 'in_service' });
    expect(await db().get('_local/checkpoint')).toMatchObject({ seq: 2, _rev: local.rev });
    expect((await db().changes({ since: 1 })).results.map((r) => r.id)).toEqual(['+14155550101', '_design/app']);

    // Acknowledged writes survive a crash (SIGKILL).
    await db().insert({ _id: '+14155550102', state: 'porting' });
    await couch.kill();
    running.delete(couch);
    couch = await start(dataDir);
    server = nano(couch.url);
    expect(await db().get('+14155550102')).toMatchObject({ state: 'porting' });
    expect((await db().changes({ since: 3 })).results.map((r) => r.id)).toEqual(['+14155550102']);
    expect(await nanoError(server.db.create('numbers/+1415'))).toMatchObject({ statusCode: 412 });

    // A deleted database stays deleted.
    await server.db.destroy('numbers/+4420');
    await couch.stop();
    running.delete(couch);
    couch = await start(dataDir);
    expect(await nano(couch.url).db.list()).toEqual(['numbers/+1415']);
    expect(readdirSync(dataDir)).not.toContain('numbers%2F%2B4420');

    // Deleting a database removes its view indexes with it.
    server = nano(couch.url);
    await server.db.destroy('numbers/+1415');
    expect(readdirSync(dataDir).filter((f) => f.startsWith('numbers%2F%2B1415'))).toEqual([]);
  });

  it('ignores directories in the data dir that are not databases', async () => {
    const dataDir = tempDir();
    const couch = await start(dataDir);
    await nano(couch.url).db.create('real');
    await couch.stop();
    running.delete(couch);
    mkdirSync(join(dataDir, 'Stray')); // not a valid database name
    mkdirSync(join(dataDir, 'half')); // valid name, but no leveldb inside
    writeFileSync(join(dataDir, 'notes.txt'), 'hello');
    const again = await start(dataDir);
    expect(await nano(again.url).db.list()).toEqual(['real']);
  });
});

describe('launcher', () => {
  it('rejects with the child stderr when the server cannot start', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startEmbeddedCouch({ port })).rejects.toThrow(/exited early.*EADDRINUSE/s);
    } finally {
      blocker.close();
    }
  });

  it('uses the requested port and stops on SIGTERM', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const couch = await startEmbeddedCouch({ port });
    expect(couch.port).toBe(port);
    expect((await raw(couch.url, '/_up')).body).toEqual({ status: 'ok', seeds: {} });
    await couch.stop();
    expect(processAlive(couch.pid)).toBe(false);
    await couch.stop(); // idempotent
  });

  it('takes the server down with a parent that dies without stopping it', { timeout: 30_000 }, async () => {
    const launcher = new URL('../../src/launcher.ts', import.meta.url).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = `const { startEmbeddedCouch } = await import(${JSON.stringify(launcher)}); const c = await startEmbeddedCouch({}); console.log(c.pid); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
      parent.once('exit', (code) => reject(new Error(`parent exited ${code}`)));
    });
    expect(processAlive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    const deadline = Date.now() + 15_000;
    while (processAlive(childPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(childPid)).toBe(false);
  });

  it('stops promptly even while feeds are open', { timeout: 30_000 }, async () => {
    const couch = await startEmbeddedCouch({});
    const server = nano(couch.url);
    await server.db.create('feeds');
    const longpoll = raw(couch.url, '/feeds/_changes?feed=longpoll&since=now&timeout=600000');
    const updates = raw(couch.url, '/_db_updates?feed=longpoll&since=now&timeout=600000');
    await new Promise((r) => setTimeout(r, 200));
    await couch.stop();
    // Open feeds are ended with a valid (empty) answer rather than left hanging.
    expect((await longpoll).body).toMatchObject({ results: [] });
    expect((await updates).body).toMatchObject({ results: [] });
  });
});
