import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CouchFixture } from '../harness/numbers.js';
import { readRuntimeRecord } from '../../src/embedded/runtime-file.js';
import { splitCredentials } from '../../packages/embedded-couch/test/helpers.js';
import { waitFor } from '../harness/wait.js';
import { freePort } from '../../src/util/free-port.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

describe("README's start command", () => {
  let dataDir = '';
  let stop: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await stop?.();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('`npm start` with no URLs runs on the embedded default and syncs a curl-style write', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nsync-readme-'));
    const port = await freePort();
    const env = {
      ...process.env,
      COUCHDB_URL: '',
      REDIS_URL: '',
      NUMBERS_SYNC_DATA_DIR: dataDir,
      NUMBERS_SYNC_EMBEDDED_COUCH_PORT: String(port),
      NUMBERS_SYNC_HTTP_PORT: '0',
    };
    // Its own process group, so npm and everything it started stop together.
    const child = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop = async () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        return;
      }
      await exited;
    };
    await waitFor(() => out.includes('listener lease acquired'), { what: `daemon started: ${out.slice(-1500)}`, timeoutMs: 45_000 });

    // What the README tells a newcomer to do with curl, done with plain fetch: the URL with the
    // admin credentials comes from the runtime record in the data directory.
    const couch = (await readRuntimeRecord(dataDir))?.couchUrl ?? '';
    expect(new URL(couch).host).toBe(`127.0.0.1:${port}`);
    const put = (path: string, body?: unknown) => {
      const { url, headers } = splitCredentials(`${couch}/${path}`, new Headers({ 'content-type': 'application/json' }));
      return fetch(url, { method: 'PUT', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    };
    expect((await put('account%2Fa1%2Fb2%2Fc3d4e5f60718293a4b5c6d7e8f90')).status).toBe(201);
    expect((await put('numbers%2F%2B1415')).status).toBe(201);
    expect((await put('numbers%2F%2B1415/%2B14155550100', { pvt_state: 'in_service', pvt_assigned_to: A })).status).toBe(201);

    const fx = new CouchFixture(couch);
    await waitFor(async () => (await fx.listed(A)).includes('+14155550100'), { what: 'account doc lists the number', timeoutMs: 30_000 });
    expect(await fx.drift([A])).toEqual([]);
  });
});
