import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';
import { freePort } from '../../src/util/free-port.js';
import { runtimeFilePath } from '../../src/embedded/runtime-file.js';
import { canSwitchUser } from './as-other-user.js';

// A fake CouchDB: welcome banner, one account database, and a log line per request on stdout.
const FAKE = `
const http = require('node:http');
http.createServer((req, res) => {
  process.stdout.write(req.method + ' ' + req.url + '\\n');
  const body = req.url === '/' ? { couchdb: 'Welcome', version: '3.3.3' }
    : req.url.startsWith('/_all_dbs') ? ['account/fa/ke/00000000000000000000000000'] : {};
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}).listen(Number(process.argv[1]), '127.0.0.1', () => process.stdout.write('listening\\n'));
`;

// Issue 15, item 9: with the embedded default, one-shot commands trust only the recorded,
// authenticated servers of a live daemon, never whatever answers on the embedded port.
describe('CLI commands and a fake CouchDB on the embedded port', () => {
  let dir: string;
  let port: number;
  let fake: ChildProcess;
  let requests = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-fake-'));
    await chmod(dir, 0o755);
    port = await freePort();
    // Run by another local user when the test can switch users, as the attack would be.
    const [cmd, args] = canSwitchUser()
      ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', FAKE, String(port)]]
      : [process.execPath, ['-e', FAKE, String(port)]];
    fake = spawn(cmd as string, args as string[], { stdio: ['ignore', 'pipe', 'inherit'] });
    fake.stdout!.on('data', (c: Buffer) => (requests += c.toString()));
    await waitFor(() => requests.includes('listening'), { what: 'fake CouchDB listening' });
    requests = '';
  });

  afterEach(() => {
    requests = '';
  });

  afterAll(async () => {
    fake?.kill('SIGKILL');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const env = (dataDir: string) => ({ NUMBERS_SYNC_DATA_DIR: dataDir, NUMBERS_SYNC_EMBEDDED_COUCH_PORT: String(port) });

  it('verify without a daemon does not use it', async () => {
    const res = await runCli(['verify', '--json'], env(join(dir, 'none')));
    expect(requests).toBe('');
    // It tried to start the embedded server there, and says why it could not.
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('EADDRINUSE');
    expect(res.stdout).not.toContain('fake');
  });

  it('verify with a stale record (daemon gone) pointing at it does not use it', async () => {
    const dataDir = join(dir, 'stale');
    await mkdir(dataDir, { mode: 0o700 });
    await writeFile(runtimeFilePath(dataDir), JSON.stringify({ pid: 2 ** 22 + 4321, couchUrl: `http://127.0.0.1:${port}` }), { mode: 0o600 });
    const res = await runCli(['verify', '--json'], env(dataDir));
    expect(requests).toBe('');
    expect(res.stdout).not.toContain('fake');
  });
});
