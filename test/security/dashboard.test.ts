import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildDaemon } from '../harness/child-daemon.js';
import { privateCouch, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';
import { REBUILD_QUEUE_NAME } from '../../src/queue/rebuild-queue.js';

const USER = 'operator';
const PASSWORD = 'correct horse battery';
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

// Issue 15, item 7: the dashboard is read-only unless enabled, failed logins are logged and
// throttled, and a paused queue is not ready.
describe('queue dashboard and readiness', () => {
  let dir: string;
  let couch: CouchHandle;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-sec-dash-'));
    couch = await privateCouch();
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string> = {}): Promise<{ base: string; child: ChildDaemon; prefix: string }> {
    const prefix = uniquePrefix('sec-dash');
    const child = new ChildDaemon(
      ['run'],
      {
        COUCHDB_URL: couch.url,
        REDIS_URL: redisUrl(),
        NUMBERS_SYNC_PREFIX: prefix,
        NUMBERS_SYNC_DASHBOARD_USER: USER,
        NUMBERS_SYNC_DASHBOARD_PASSWORD: PASSWORD,
        ...env,
      },
      dir,
    );
    children.push(child);
    const base = String((await child.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint')).url);
    return { base, child, prefix };
  }

  it('is read-only unless NUMBERS_SYNC_DASHBOARD_WRITABLE is set', async () => {
    const { base, prefix } = await start();
    const pause = await fetch(`${base}/dashboard/api/queues/${REBUILD_QUEUE_NAME}/pause`, { method: 'PUT', headers: basic(USER, PASSWORD) });
    expect(pause.status).toBe(405);
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const queue = new Queue(REBUILD_QUEUE_NAME, { connection: redis, prefix });
    try {
      expect(await queue.isPaused()).toBe(false);
    } finally {
      await queue.close();
      redis.disconnect();
    }
    expect((await fetch(`${base}/dashboard/api/queues`, { headers: basic(USER, PASSWORD) })).status).toBe(200);
  });

  it('logs failed logins without the password and throttles them', async () => {
    const { base, child } = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await fetch(`${base}/dashboard/api/queues`, { headers: basic(USER, `wrong-guess-${i}`) })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    // Locked out: even the right password waits.
    const locked = await fetch(`${base}/dashboard/api/queues`, { headers: basic(USER, PASSWORD) });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    const failed = () => child.records().filter((r) => r.msg === 'dashboard login failed');
    await waitFor(() => failed().length > 0, { what: 'failed logins logged' });
    const failures = failed();
    expect(failures.length).toBeLessThan(30);
    expect(child.lines.join('\n')).not.toContain('wrong-guess');
  });

  it('pauses the queue only when writable, and a paused queue is not ready', async () => {
    const { base } = await start({ NUMBERS_SYNC_DASHBOARD_WRITABLE: 'true' });
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { what: 'ready' });
    const api = `${base}/dashboard/api/queues/${REBUILD_QUEUE_NAME}`;
    expect((await fetch(`${api}/pause`, { method: 'PUT', headers: basic(USER, PASSWORD) })).status).toBe(200);
    const res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail: string }> };
    expect(body.checks.queue).toEqual({ ok: false, detail: expect.stringContaining('paused') });
    expect((await fetch(`${api}/resume`, { method: 'PUT', headers: basic(USER, PASSWORD) })).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});
