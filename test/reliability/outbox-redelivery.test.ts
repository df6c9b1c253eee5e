import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { CouchFixture } from '../harness/numbers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { LogCapture } from '../harness/log-capture.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { NumberIndex } from '../../src/index/number-index.js';
import type { Daemon } from '../../src/daemon.js';

const A = '0ab0c000ab0c000ab0c000ab0c000a01';
const DB = 'numbers/+1415';

/**
 * A page committed to the index whose rebuild requests Redis refuses (OOM under noeviction):
 * the outbox keeps the account marked, and the listener must deliver it again by itself,
 * without a restart.
 */
describe('outbox delivery after a failed enqueue', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: EmbeddedRedis;
  let admin: Redis;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [DB] }));
    redis = await startEmbeddedRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    admin.disconnect();
    await redis.stop();
    await couch.stop();
  });

  it('delivers the marked account once Redis accepts writes again', async () => {
    const prefix = uniquePrefix('outbox');
    let armed = false;
    let refused = false;
    const afterCommit = async (db: string) => {
      if (!armed || db !== DB) return;
      armed = false;
      // The page is in the index; now Redis refuses every write for a moment, so the enqueue fails.
      await admin.config('SET', 'maxmemory', '1');
      setTimeout(() => void admin.config('SET', 'maxmemory', '0').then(() => (refused = true)), 1000);
    };
    const log = new LogCapture();
    daemon = startTestDaemon(testSettings(couch.url, redis.url, prefix, { leaseTtlMs: 10_000, rescanIntervalMs: 600_000 }), { hooks: { afterCommit }, logger: log.logger });
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'first number listed' });

    armed = true;
    await fx.putNumber({ _id: '+14155550101', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(() => refused, { what: 'the refused enqueue' });
    expect((await new NumberIndex(admin, prefix).lookup('+14155550101'))?.accounts).toEqual([A]);
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'the number committed before the failure listed' });
    expect(await admin.hlen(new NumberIndex(admin, prefix).keys.dirty)).toBe(0);
    expect(log.find((r) => r.msg === 'enqueueing rebuilds failed; the outbox keeps them and retries' && /OOM/.test(String(r.err)))).toBeDefined();
    expect(log.find((r) => r.msg === 'follow session ended; starting a new one')).toBeUndefined();
  }, 60_000);
});
