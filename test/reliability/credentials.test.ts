import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCouch, type TestCouch } from '../harness/test-couch.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { uniquePrefix } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';

const USER = 'nsadmin';
// Characters that need URL encoding, so both the raw and the encoded forms are looked for.
const COUCH_PW = 'Couch:S3cr3t/pw#Q7';
const REDIS_PW = 'Redis@S3cr3t%pw!Z9';
const DASH_PW = 'Dash-S3cr3t-pw-K4';
const WRONG_COUCH_PW = 'Wrong:C0uch/pw#X1';
const WRONG_REDIS_PW = 'Wrong@R3dis%pw!X2';
const ACCOUNT = 'c4edc4edc4edc4edc4edc4edc4edc4ed';

/** Every form in which a secret could show up: raw, URL-encoded, inside a basic-auth header. */
function forms(password: string): string[] {
  return [password, encodeURIComponent(password), Buffer.from(`${USER}:${password}`).toString('base64'), Buffer.from(`:${password}`).toString('base64')];
}
const SECRETS = [COUCH_PW, REDIS_PW, DASH_PW, WRONG_COUCH_PW, WRONG_REDIS_PW].flatMap(forms);

describe('credentials never reach an output', () => {
  let dir: string;
  let couch: TestCouch;
  let redis: EmbeddedRedis;
  const outputs: Array<{ what: string; text: string }> = [];
  const children: ChildDaemon[] = [];

  const couchUrl = (pw: string) => `http://${USER}:${encodeURIComponent(pw)}@127.0.0.1:${couch.port}`;
  const redisUrl = (pw: string) => `redis://:${encodeURIComponent(pw)}@127.0.0.1:${redis.port}`;

  function spawn(what: string, args: string[], env: Record<string, string>): ChildDaemon {
    const child = new ChildDaemon(args, { NUMBERS_SYNC_DATA_DIR: dir, ...env }, dir);
    children.push(child);
    void child.exited.then(() => outputs.push({ what, text: `${child.lines.join('\n')}\n${child.stderr.join('')}` }));
    return child;
  }

  async function command(what: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
    const child = spawn(what, args, env);
    const { code } = await child.exited;
    return { code, out: `${child.lines.join('\n')}\n${child.stderr.join('')}` };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-credentials-'));
    couch = await startTestCouch({ admin: { username: USER, password: COUCH_PW } });
    redis = await startEmbeddedRedis({ password: REDIS_PW });
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await redis?.stop();
    await couch?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs, errors, metrics, status and the ops endpoint carry no password, also when one is wrong', async () => {
    const good = {
      COUCHDB_URL: couchUrl(COUCH_PW),
      REDIS_URL: redisUrl(REDIS_PW),
      NUMBERS_SYNC_PREFIX: uniquePrefix('creds'),
      NUMBERS_SYNC_DASHBOARD_USER: 'ops',
      NUMBERS_SYNC_DASHBOARD_PASSWORD: DASH_PW,
      LOG_LEVEL: 'debug',
    };
    const fx = new CouchFixture(couchUrl(COUCH_PW));
    await fx.createAccountDb(ACCOUNT);
    await fx.createDb('numbers/+1415');

    // The daemon at work: a number listed, an invalid doc reported, the ops endpoint scraped.
    const daemon = spawn('run', ['run'], good);
    const listening = await daemon.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint');
    await fx.putNumber({ _id: '+14157770001', pvt_state: 'in_service', pvt_assigned_to: ACCOUNT });
    await fx.putNumber({ _id: '+14157770002', pvt_state: 'in_service', pvt_assigned_to: `../${COUCH_PW}` });
    await waitFor(async () => (await fx.listed(ACCOUNT)).includes('+14157770001'), { what: 'the number listed' });
    const ops = String(listening.url);
    for (const path of ['/healthz', '/readyz', '/metrics', '/dashboard']) {
      const res = await fetch(`${ops}${path}`);
      outputs.push({ what: `GET ${path} -> ${res.status}`, text: await res.text() });
    }
    const dashboard = await fetch(`${ops}/dashboard`, { headers: { authorization: `Basic ${Buffer.from(`ops:${WRONG_COUCH_PW}`).toString('base64')}` } });
    expect(dashboard.status).toBe(401);
    outputs.push({ what: 'dashboard with a wrong password', text: await dashboard.text() });
    const metrics = outputs.find((o) => o.what === 'GET /metrics -> 200')?.text ?? '';
    expect(metrics).toContain('numbers_sync_invalid_docs_total{reason="bad_owner"} 1');

    // Operator commands against the same servers (in parallel: each is a process start).
    const commands = [['status'], ['status', '--json'], ['verify', '--json']];
    const codes = await Promise.all(commands.map(async (args) => (await command(args.join(' '), args, good)).code));
    expect(codes).toEqual([0, 0, 0]);

    // Wrong passwords and a rejected URL, all at once.
    const wrongRedis = spawn('run, wrong Redis password', ['run'], { ...good, REDIS_URL: redisUrl(WRONG_REDIS_PW) });
    const [wrongCouch, statusWrongRedis, verifyWrongCouch, badConfig] = await Promise.all([
      command('run, wrong CouchDB password', ['run'], { ...good, COUCHDB_URL: couchUrl(WRONG_COUCH_PW), NUMBERS_SYNC_PREFIX: uniquePrefix('creds-bad') }),
      command('status, wrong Redis password', ['status'], { ...good, REDIS_URL: redisUrl(WRONG_REDIS_PW) }),
      command('verify, wrong CouchDB password', ['verify'], { ...good, COUCHDB_URL: couchUrl(WRONG_COUCH_PW) }),
      command('run, bad URL scheme', ['run'], { ...good, COUCHDB_URL: couchUrl(COUCH_PW).replace('http:', 'ftp:') }),
    ]);
    // CouchDB: the daemon stops with exit code 2 and says why.
    expect(wrongCouch.code).toBe(2);
    expect(wrongCouch.out).toContain('CouchDB refused the credentials or rights; stopping');
    expect(wrongCouch.out).toContain('401');
    // Redis: the daemon keeps trying and says why; a one-shot command fails.
    await wrongRedis.waitForLog(
      (r) => r.msg === 'cannot reach Redis for the listener lease' && String(r.err).includes('WRONGPASS'),
      'a clear Redis auth error',
    );
    // (SIGKILL: a graceful stop would wait up to the shutdown timeout for a Redis it cannot reach.)
    await wrongRedis.kill('SIGKILL');
    expect(statusWrongRedis.code).not.toBe(0);
    expect(statusWrongRedis.out).toContain('WRONGPASS');
    expect(verifyWrongCouch.code).not.toBe(0);
    expect(verifyWrongCouch.out).toMatch(/401|credentials|unauthori[sz]ed/i);
    // A URL the config rejects is named, without its password.
    expect(badConfig.code).not.toBe(0);
    expect(badConfig.out).toContain('COUCHDB_URL');

    await daemon.kill('SIGTERM');
    for (const child of children) await child.exited;
    await waitFor(() => outputs.filter((o) => !o.what.startsWith('GET') && !o.what.startsWith('dashboard')).length === children.length, {
      what: 'all outputs collected',
    });
    expect(outputs.length).toBeGreaterThanOrEqual(children.length + 5);
    const leaks = outputs.flatMap((o) => SECRETS.filter((s) => o.text.includes(s)).map((s) => `${o.what}: contains ${JSON.stringify(s)}`));
    expect(leaks).toEqual([]);
  }, 120_000);
});
