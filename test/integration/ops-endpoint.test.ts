import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { parsePrometheus, sampleValue, type Sample } from '../harness/prometheus.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';

const A = freshAccountId();
const B = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const DB = `numbers/${P}`;
const [N0, N1, N2, N3] = freshNumbers(P, 4) as [string, string, string, string];

interface ReadyBody {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail: string }>;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.text() };
}

async function readyz(base: string): Promise<{ status: number; body: ReadyBody }> {
  const res = await get(`${base}/readyz`);
  return { status: res.status, body: JSON.parse(res.body) as ReadyBody };
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

function number(id: string, owner: string, modified: number): Record<string, unknown> & { _id: string } {
  return { _id: id, pvt_state: 'in_service', pvt_assigned_to: owner, pvt_created: 63871286400, pvt_modified: modified };
}

describe('ops endpoint of a numbers-sync process', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  const children: ChildDaemon[] = [];
  const redises: EmbeddedRedis[] = [];

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: [DB] }));
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    for (const redis of redises) await redis.stop();
    await couch.stop();
  });

  function start(args: string[], env: Record<string, string>): ChildDaemon {
    const child = new ChildDaemon(args, {
      COUCHDB_URL: couch.url,
      NUMBERS_SYNC_HTTP_PORT: '0',
      NUMBERS_SYNC_FEED_TIMEOUT_MS: '1000',
      NUMBERS_SYNC_LEASE_TTL_MS: '2000',
      ...env,
    });
    children.push(child);
    return child;
  }

  async function opsUrl(child: ChildDaemon): Promise<string> {
    const record = await child.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint listening');
    expect(record.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    return record.url as string;
  }

  it('serves /healthz, /readyz and fed /metrics, hides the dashboard, and stops cleanly on SIGTERM', async () => {
    const prefix = uniquePrefix('ops');
    const child = start(['run'], { REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: prefix });
    const base = await opsUrl(child);
    await child.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'replay complete');

    await fx.putNumber(number(N0, A, 63871286401));
    await waitFor(async () => (await fx.listed(A)).includes(N0), { what: `A lists ${N0}` });

    const health = await get(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok' });

    const ready = await readyz(base);
    expect(ready.status).toBe(200);
    expect(ready.body.ready).toBe(true);
    expect(Object.keys(ready.body.checks).sort()).toEqual(['couchdb', 'listener', 'redis', 'workers']);
    for (const check of Object.values(ready.body.checks)) expect(check.ok).toBe(true);
    expect(ready.body.checks.listener!.detail).toMatch(/^leader/);

    // Counters are fed by the pipeline, so wait for the rebuild's completion to be counted.
    const samples = (await waitFor(
      async () => {
        const parsed = parsePrometheus((await get(`${base}/metrics`)).body);
        return (sampleValue(parsed, 'numbers_sync_jobs_completed_total', { outcome: 'written' }) ?? 0) >= 1 && parsed;
      },
      { what: 'a written rebuild in /metrics' },
    )) as Sample[];
    expect(sampleValue(samples, 'numbers_sync_changes_processed_total', { db: DB })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'numbers_sync_jobs_enqueued_total')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'numbers_sync_rebuild_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    // This test's database, plus on a shared server every other numbers/+NNNN one.
    expect(sampleValue(samples, 'numbers_sync_followed_databases')).toBe((await fx.followedNumbersDbs()).length);
    expect(sampleValue(samples, 'numbers_sync_db_lag_changes', { db: DB })).toBe(0);
    expect(sampleValue(samples, 'numbers_sync_index_resets_total')).toBe(1);
    expect(sampleValue(samples, 'numbers_sync_listener_leader')).toBe(1);
    expect(sampleValue(samples, 'numbers_sync_queue_depth', { state: 'failed' })).toBe(0);
    expect(sampleValue(samples, 'numbers_sync_queue_depth', { state: 'completed' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'numbers_sync_jobs_failed_total')).toBe(0);
    expect(sampleValue(samples, 'numbers_sync_process_cpu_seconds_total')).toBeGreaterThan(0);

    expect((await get(`${base}/dashboard`)).status).toBe(404);
    expect((await get(`${base}/nope`)).status).toBe(404);

    child.child.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.records().some((r) => r.msg === 'stopped')).toBe(true);
    const redis = new Redis(redisUrl());
    try {
      const checkpoint = await redis.hget(`${prefix}:ckpt`, DB);
      expect(checkpoint).not.toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('counts deduplicated requests and queue depth, and serves the dashboard only with credentials', async () => {
    // A listener without workers: jobs stay queued, so a second change of A is deduplicated.
    const child = start(['listen'], {
      REDIS_URL: redisUrl(),
      NUMBERS_SYNC_PREFIX: uniquePrefix('ops-dash'),
      NUMBERS_SYNC_DASHBOARD_USER: 'operator',
      NUMBERS_SYNC_DASHBOARD_PASSWORD: 'correct horse',
    });
    const base = await opsUrl(child);
    await child.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'replay complete');
    const metrics = async () => parsePrometheus((await get(`${base}/metrics`)).body);
    const processed = async () => sampleValue(await metrics(), 'numbers_sync_changes_processed_total', { db: DB }) ?? 0;

    const before = await processed();
    await fx.putNumber(number(N1, B, 63871286402));
    await waitFor(async () => (await processed()) > before, { what: 'first change processed' });
    const middle = await processed();
    await fx.putNumber(number(N2, B, 63871286403));
    await waitFor(async () => (await processed()) > middle, { what: 'second change processed' });

    const samples = await metrics();
    expect(sampleValue(samples, 'numbers_sync_jobs_deduplicated_total')).toBeGreaterThanOrEqual(1);
    // Without a worker the job stays queued: waiting (an isolated change is not delayed) or
    // delayed (requested again within NUMBERS_SYNC_COALESCE_MS).
    const queued =
      (sampleValue(samples, 'numbers_sync_queue_depth', { state: 'waiting' }) ?? 0) +
      (sampleValue(samples, 'numbers_sync_queue_depth', { state: 'delayed' }) ?? 0);
    expect(queued).toBeGreaterThanOrEqual(1);
    expect(sampleValue(samples, 'numbers_sync_jobs_completed_total', { outcome: 'written' })).toBeUndefined();

    const ready = await readyz(base);
    expect(ready.status).toBe(200);
    expect(Object.keys(ready.body.checks).sort()).toEqual(['couchdb', 'listener', 'redis']);

    expect((await get(`${base}/dashboard`)).status).toBe(401);
    expect((await get(`${base}/dashboard`, basic('operator', 'wrong password'))).status).toBe(401);
    expect((await get(`${base}/dashboard/api/queues`, basic('someone', 'correct horse'))).status).toBe(401);
    const page = await get(`${base}/dashboard`, basic('operator', 'correct horse'));
    expect(page.status).toBe(200);
    expect(page.body).toContain('<base href="/dashboard/"');
    const api = await get(`${base}/dashboard/api/queues`, basic('operator', 'correct horse'));
    expect(api.status).toBe(200);
    const queues = (JSON.parse(api.body) as { queues: Array<{ name: string; counts: Record<string, number> }> }).queues;
    expect(queues.map((q) => q.name)).toEqual(['rebuild']);
    expect((queues[0]!.counts.waiting ?? 0) + (queues[0]!.counts.delayed ?? 0)).toBeGreaterThanOrEqual(1);

    child.child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  });

  it('exits 1 with a clear log line when the ops port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const child = start(['run'], { REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: uniquePrefix('ops-port'), NUMBERS_SYNC_HTTP_PORT: String(port) });
      expect((await child.exited).code).toBe(1);
      const record = child.records().find((r) => String(r.msg).startsWith('cannot start the ops endpoint'));
      expect(record?.port).toBe(port);
      expect(String(record?.err)).toContain('EADDRINUSE');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('turns /readyz 503 while Redis is down and 200 again once it is back', async () => {
    const first = await startEmbeddedRedis({});
    redises.push(first);
    const child = start(['run'], { REDIS_URL: first.url, NUMBERS_SYNC_PREFIX: uniquePrefix('ops-redis') });
    const base = await opsUrl(child);
    await waitFor(async () => (await readyz(base)).status === 200, { what: '/readyz 200 at start' });

    await first.stop();
    const down = (await waitFor(
      async () => {
        const res = await readyz(base);
        // The worker's blocking connection notices the loss too (ioredis status 'reconnecting').
        return res.status === 503 && res.body.checks.workers?.ok === false && res.body;
      },
      { what: '/readyz 503 with Redis down' },
    )) as ReadyBody;
    expect(down.ready).toBe(false);
    expect(down.checks.redis!.ok).toBe(false);
    expect(down.checks.couchdb!.ok).toBe(true);

    const second = await startEmbeddedRedis({ port: first.port });
    redises.push(second);
    const up = (await waitFor(
      async () => {
        const res = await readyz(base);
        return res.status === 200 && res.body;
      },
      { what: '/readyz 200 after Redis came back' },
    )) as ReadyBody;
    for (const check of Object.values(up.checks)) expect(check.ok).toBe(true);

    // Ready must mean working: the worker still takes jobs after the reconnect.
    await fx.putNumber(number(N3, A, 63871286404));
    await waitFor(async () => (await fx.listed(A)).includes(N3), { what: `A lists ${N3} after the Redis restart` });

    child.child.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  });
});
