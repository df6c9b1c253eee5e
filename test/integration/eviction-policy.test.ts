import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { withTimeout } from '../../src/http/with-timeout.js';

/** Under an evicting maxmemory-policy, index keys could vanish silently: the daemon refuses to start. */
describe('Redis maxmemory-policy check', () => {
  let couch: CouchHandle;
  let redis: EmbeddedRedis;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    ({ couch } = await privateCouchWith({}));
    redis = await startEmbeddedRedis();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await redis.stop();
    await couch.stop();
  });

  const env = () => ({ COUCHDB_URL: couch.url, REDIS_URL: redis.url, NUMBERS_SYNC_PREFIX: uniquePrefix('evict') });

  it('refuses to start unless eviction is allowed', async () => {
    const refused = new ChildDaemon(['run'], env());
    children.push(refused);
    const exit = await withTimeout(refused.exited, 20_000, 'the refused daemon to exit').catch(() => undefined);
    expect(exit?.code, 'exit code').toBe(2);
    expect(refused.records().find((r) => r.level === 60)?.err).toMatch(/maxmemory-policy is allkeys-lru.*noeviction.*NUMBERS_SYNC_ALLOW_EVICTION/);

    const allowed = new ChildDaemon(['run', '--allow-eviction'], env());
    children.push(allowed);
    await allowed.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'the listener to start');
    expect(allowed.records().some((r) => String(r.msg).includes('maxmemory-policy'))).toBe(true);
  }, 60_000);
});
