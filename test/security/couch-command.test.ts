// `numbers-sync couch` (the embedded server in the foreground) never runs without credentials.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnNumbersSync } from '../harness/child-daemon.js';
import { send } from './couch-access.js';

let child: ReturnType<typeof spawnNumbersSync> | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

async function start(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ line: { url: string; admin?: { username: string; password: string } }; stderr: () => string }> {
  const e = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  child = spawnNumbersSync(['couch', '--port', '0', ...args], e);
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child!.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child!.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  return { line: JSON.parse(line) as { url: string; admin?: { username: string; password: string } }, stderr: () => err };
}

const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });

describe('numbers-sync couch', { timeout: 60_000 }, () => {
  it('generates admin credentials when none are given, prints them once, and refuses anonymous requests', async () => {
    const { line } = await start([], { EMBEDDED_COUCH_ADMIN: undefined });
    expect(line.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(line.admin?.password.length).toBeGreaterThanOrEqual(20);
    expect((await send(line.url, '/_all_dbs')).status).toBe(401);
    expect((await send(line.url, '/_all_dbs', { headers: basic(line.admin!.username, line.admin!.password) })).status).toBe(200);
  });

  it('takes credentials from EMBEDDED_COUCH_ADMIN without echoing them, and warns about --admin (visible in ps)', async () => {
    const fromEnv = await start([], { EMBEDDED_COUCH_ADMIN: 'ops:env-secret-pw' });
    expect(fromEnv.line.admin).toBeUndefined();
    expect((await send(fromEnv.line.url, '/_all_dbs', { headers: basic('ops', 'env-secret-pw') })).status).toBe(200);
    child!.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));

    const fromFlag = await start(['--admin', 'ops:flag-secret-pw'], { EMBEDDED_COUCH_ADMIN: undefined });
    expect((await send(fromFlag.line.url, '/_all_dbs', { headers: basic('ops', 'flag-secret-pw') })).status).toBe(200);
    expect(fromFlag.stderr()).toMatch(/--admin .*visible .*EMBEDDED_COUCH_ADMIN/);
  });
});
