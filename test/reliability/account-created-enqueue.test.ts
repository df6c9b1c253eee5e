import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../harness/servers.js';
import { testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { LogCapture } from '../harness/log-capture.js';
import { refusingRedisWorld } from '../harness/refusing-redis-world.js';
import { NumberIndex } from '../../src/index/number-index.js';
import { accountDbName } from '../../src/rules/index.js';

const A = '0ab0c000ab0c000ab0c000ab0c000a02';
const DB = 'numbers/+1415';

/**
 * An account database that appears (it was missing) while Redis refuses writes (OOM under
 * noeviction): the rebuild request fails. The account must still get its doc once Redis
 * accepts writes again, without a restart and without the anti-entropy sweep.
 */
describe('account database created while its rebuild request fails', () => {
  const world = refusingRedisWorld({ numbersDbs: [DB] });

  it('rebuilds the account once Redis accepts writes again', async () => {
    const { couch, fx, redis, admin } = world;
    const prefix = uniquePrefix('acctcreated');
    const index = new NumberIndex(admin, prefix);
    const log = new LogCapture();
    world.startDaemon(testSettings(couch.url, redis.url, prefix, { leaseTtlMs: 10_000, rescanIntervalMs: 1000, sweepIntervalMs: 0 }), { logger: log.logger });
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await index.missingAccounts()).includes(A), { what: 'the account recorded as missing' });

    // Redis refuses writes while the account database appears.
    await world.refuseWrites();
    try {
      await fx.createAccountDb(A);
      await waitFor(() => log.find((r) => r.msg === 'listener step failed; will retry' && /OOM/.test(String(r.err))) !== undefined, {
        what: 'the refused rebuild request',
      });
    } finally {
      await world.acceptWrites();
    }
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the account doc listing its number', timeoutMs: 20_000 });
    expect(await fx.listed(A)).toEqual(['+14155550100']);

    // Deleted and re-created while running (so never in the missing set), again while Redis
    // refuses writes: the missing set cannot take it either.
    await fx.deleteDb(accountDbName(A));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const mark = log.mark();
    await world.refuseWrites();
    try {
      await fx.createAccountDb(A);
      await log.waitForLog((r) => r.msg === 'listener step failed; will retry' && /OOM/.test(String(r.err)), 'the second refused rebuild request', {
        from: mark,
      });
    } finally {
      await world.acceptWrites();
    }
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the re-created account doc listing its number', timeoutMs: 20_000 });
  }, 60_000);
});
