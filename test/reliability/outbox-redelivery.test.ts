import { describe, expect, it } from 'vitest';
import { uniquePrefix } from '../harness/servers.js';
import { testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { LogCapture } from '../harness/log-capture.js';
import { refusingRedisWorld } from '../harness/refusing-redis-world.js';
import { NumberIndex } from '../../src/index/number-index.js';

const A = '0ab0c000ab0c000ab0c000ab0c000a01';
const DB = 'numbers/+1415';

/**
 * A page committed to the index whose rebuild requests Redis refuses (OOM under noeviction):
 * the outbox keeps the account marked, and the listener must deliver it again by itself,
 * without a restart.
 */
describe('outbox delivery after a failed enqueue', () => {
  const world = refusingRedisWorld({ accounts: [A], numbersDbs: [DB] });

  it('delivers the marked account once Redis accepts writes again', async () => {
    const { couch, fx, redis, admin } = world;
    const prefix = uniquePrefix('outbox');
    let armed = false;
    let refused = false;
    const afterCommit = async (db: string) => {
      if (!armed || db !== DB) return;
      armed = false;
      // The page is in the index; now Redis refuses every write for a moment, so the enqueue fails.
      await world.refuseWrites();
      setTimeout(() => void world.acceptWrites().then(() => (refused = true)), 1000);
    };
    const log = new LogCapture();
    world.startDaemon(testSettings(couch.url, redis.url, prefix, { leaseTtlMs: 10_000, rescanIntervalMs: 600_000 }), {
      hooks: { afterCommit },
      logger: log.logger,
    });
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
