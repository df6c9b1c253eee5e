import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildDaemon } from '../harness/child-daemon.js';
import { privateCouch, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';

/** Raw GET (no client-side path normalisation), status only. */
function status(base: string, path: string, auth?: string): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, headers: auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const QUEUE_PATHS = [
  '/dashboard',
  '/dashboard/',
  '/dashboard/api/queues',
  '//dashboard/api/queues',
  '/dashboard/%2e%2e/dashboard/api/queues',
  '/dashboard/api/queues?x=/../',
  '/DASHBOARD/api/queues',
];

describe('ops endpoint exposure', () => {
  let dir: string;
  let couch: CouchHandle;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-ops-exposure-'));
    couch = await privateCouch();
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<string> {
    const child = new ChildDaemon(['run'], { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: uniquePrefix('ops-exp'), ...env }, dir);
    children.push(child);
    return String((await child.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint')).url);
  }

  it('binds 127.0.0.1 by default and serves no dashboard without configured credentials', async () => {
    const base = await start({});
    expect(new URL(base).hostname).toBe('127.0.0.1');
    expect(await status(base, '/healthz')).toBe(200);
    for (const path of QUEUE_PATHS) expect(await status(base, path), path).toBe(404);
    // Not reachable on another interface of this machine (when it has one).
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (external) await expect(status(`http://${external.address}:${new URL(base).port}`, '/healthz')).rejects.toThrow();
  });

  it('answers 401 to every dashboard request without the right credentials', async () => {
    const base = await start({ NUMBERS_SYNC_DASHBOARD_USER: 'operator', NUMBERS_SYNC_DASHBOARD_PASSWORD: 'a-long-enough-pw' });
    for (const path of QUEUE_PATHS.slice(0, 3)) {
      expect(await status(base, path), path).toBe(401);
      expect(await status(base, path, 'operator:wrong-password'), path).toBe(401);
      expect(await status(base, path, 'someone:a-long-enough-pw'), path).toBe(401);
    }
    // Odd spellings never reach the dashboard without credentials.
    for (const path of QUEUE_PATHS.slice(3)) expect([401, 404], path).toContain(await status(base, path));
    expect(await status(base, '/dashboard/api/queues', 'operator:a-long-enough-pw')).toBe(200);
  });

  it('refuses to start with only half of the dashboard credentials', async () => {
    const child = new ChildDaemon(['run'], { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_DASHBOARD_USER: 'operator' }, dir);
    children.push(child);
    const { code } = await child.exited;
    expect(code).not.toBe(0);
    expect(child.stderr.join('')).toContain('NUMBERS_SYNC_DASHBOARD_PASSWORD');
  });
});
