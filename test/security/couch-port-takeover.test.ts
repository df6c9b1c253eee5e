// Review of issue 15: when the embedded CouchDB server died under a running daemon, the daemon
// kept calling 127.0.0.1:PORT with the admin password, and CLI commands trusted the record of
// the live daemon. Any local user could then bind the freed port, collect the password from
// the Authorization header and answer with documents of their choosing. The daemon now exits
// as soon as its embedded server does (a restart gets new credentials and fails on a taken
// port instead of talking to it).
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildDaemon } from '../harness/child-daemon.js';
import { readRuntimeRecord } from '../../src/embedded/runtime-file.js';
import { canSwitchUser } from './as-other-user.js';
import { embeddedDaemonEnv, startEmbeddedDaemon, type EmbeddedDaemonEnv } from './embedded-daemon.js';

// A CouchDB look-alike run by another user: prints every Authorization header it receives.
const FAKE_COUCH = `
const port = Number(process.argv[1]);
const server = require('node:http').createServer((req, res) => {
  if (req.headers.authorization) console.log('AUTH ' + req.headers.authorization);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url.startsWith('/_db_updates') ? '{"results":[],"last_seq":"0"}' : '{}');
});
(function bind() {
  server.once('error', () => setTimeout(bind, 5));
  server.listen(port, '127.0.0.1', () => console.log('LISTENING'));
})();
setTimeout(() => process.exit(0), 15000);
`;

describe.runIf(canSwitchUser())('embedded CouchDB server dying under the daemon', () => {
  let setup: EmbeddedDaemonEnv;
  let daemon: ChildDaemon;

  afterAll(async () => {
    await daemon?.kill('SIGKILL');
    if (setup) await rm(setup.parent, { recursive: true, force: true });
  });

  it('the daemon exits instead of sending its admin password to whoever takes the port', { timeout: 90_000 }, async () => {
    setup = await embeddedDaemonEnv('takeover');
    daemon = await startEmbeddedDaemon(setup.env);
    const record = (await readRuntimeRecord(setup.dataDir))!;
    const couchUrl = new URL(record.couchUrl!);
    // The server child: compiled main.js as the daemon ships, main.ts when run from the sources.
    const couchPid = Number(
      (await import('node:child_process'))
        .execFileSync('pgrep', ['-f', `main[.][jt]s --port ${couchUrl.port} `], { encoding: 'utf8' })
        .trim()
        .split('\n')[0],
    );
    expect(couchPid).toBeGreaterThan(0);

    const fake = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', FAKE_COUCH, couchUrl.port], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    fake.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const fakeDone = new Promise<void>((r) => fake.once('exit', () => r()));
    process.kill(couchPid, 'SIGKILL'); // the crash (OOM, a bug): the attacker only waits for it
    const exited = await Promise.race([daemon.exited, fakeDone.then(() => undefined)]);
    fake.kill('SIGKILL');
    await fakeDone;
    const password = decodeURIComponent(couchUrl.password);
    const leaked = out
      .split('\n')
      .filter((l) => l.startsWith('AUTH Basic '))
      .some((l) => Buffer.from(l.slice('AUTH Basic '.length), 'base64').toString('utf8').endsWith(`:${password}`));
    expect({ leaked, daemonExited: exited !== undefined }).toEqual({ leaked: false, daemonExited: true });
    expect(daemon.records().some((r) => r.msg === 'embedded CouchDB server exited: stopping')).toBe(true);
  });
});
