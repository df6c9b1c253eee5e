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
import { accountDbName } from '../../src/rules/index.js';

const A = '0ab0c000ab0c000ab0c000ab0c000a02';
const DB = 'numbers/+1415';

/**
 * An account database that appears (it was missing) while Redis refuses writes (OOM under
 * noeviction): the rebuild request fails. The account must still get its doc once Redis
 * accepts writes again, without a restart and without the anti-entropy sweep.
 */
describe('account database created while its rebuild request fails', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: EmbeddedRedis;
  let admin: Redis;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ numbersDbs: [DB] }));
    redis = await startEmbeddedRedis();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    admin.disconnect();
    await redis.stop();
    await couch.stop();
  });

  it('rebuilds the account once Redis accepts writes again', async () => {
    const prefix = uniquePrefix('acctcreated');
    const index = new NumberIndex(admin, prefix);
    const log = new LogCapture();
    daemon = startTestDaemon(testSettings(couch.url, redis.url, prefix, { leaseTtlMs: 10_000, rescanIntervalMs: 1000, sweepIntervalMs: 0 }), { logger: log.logger });
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await index.missingAccounts()).includes(A), { what: 'the account recorded as missing' });

    // Redis refuses writes while the account database appears.
    await admin.config('SET', 'maxmemory', '1');
    try {
      await fx.createAccountDb(A);
      await waitFor(() => log.find((r) => r.msg === 'listener step failed; will retry' && /OOM/.test(String(r.err))) !== undefined, {
        what: 'the refused rebuild request',
      });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the account doc listing its number', timeoutMs: 20_000 });
    expect(await fx.listed(A)).toEqual(['+14155550100']);

    // Deleted and re-created while running (so never in the missing set), again while Redis
    // refuses writes: the missing set cannot take it either.
    await fx.deleteDb(accountDbName(A));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const mark = log.mark();
    await admin.config('SET', 'maxmemory', '1');
    try {
      await fx.createAccountDb(A);
      await log.waitForLog((r) => r.msg === 'listener step failed; will retry' && /OOM/.test(String(r.err)), 'the second refused rebuild request', { from: mark });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the re-created account doc listing its number', timeoutMs: 20_000 });
  }, 60_000);
});
