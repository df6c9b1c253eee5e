import { beforeAll, describe, expect, it } from 'vitest';
import { redisFaultWorld } from '../harness/redis-fault-world.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { revGeneration } from '../harness/numbers.js';
import { uniquePrefix } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { revisionsSince } from './account-revisions.js';

const A = 'a11ce000a11ce000a11ce000a11ce000';
const stable = Array.from({ length: 5 }, (_, i) => `+1415666${String(1000 + i)}`);
const added = '+14156669999';

/**
 * A rebuild that read "index ready" and then meets a Redis that lost its data (here: inside
 * its conflict retry) must not publish what the empty or half-replayed index says: that would
 * wipe the account's numbers until the reconcile. It must wait for the replay instead.
 */
describe('a rebuild caught by an index reset', () => {
  const world = redisFaultWorld('reset-race');

  beforeAll(async () => {
    await world.fx.createAccountDb(A);
    await world.fx.createDb('numbers/+1415');
  });

  it('never writes an account doc from a lost or partial index', async () => {
    const { couch, fx } = world;
    let armed = false;
    const beforeWrite = async (accountId: string) => {
      if (!armed || accountId !== A) return;
      armed = false;
      // Another writer bumps the doc (so this write will 409 and retry), then Redis loses everything.
      const doc = await fx.accountDoc(A);
      await fx.couch.putDoc(accountDbName(A), { ...doc!, _id: PHONE_NUMBERS_DOC_ID, pvt_other_writer: 1 });
      await world.redis.kill();
      await world.restartRedis();
    };
    const prefix = uniquePrefix('reset-race');
    world.daemon = startTestDaemon(testSettings(couch.url, world.redis.url, prefix, { leaseTtlMs: 1000 }), { hooks: { beforeWrite } });
    for (const n of [...stable]) await fx.putNumber({ _id: n, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === stable.length, { what: 'A lists its numbers' });
    const before = revGeneration((await fx.accountDoc(A))?._rev);

    armed = true;
    await fx.putNumber({ _id: added, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => !armed && (await fx.drift([A])).length === 0 && (await fx.listed(A)).includes(added), {
      what: 'convergence after the reset',
      timeoutMs: 60_000,
    });

    const revisions = await revisionsSince(fx.couch, A, before);
    expect(revisions.length).toBeGreaterThan(0);
    for (const rev of revisions) {
      const missing = stable.filter((n) => !(n in rev));
      expect(missing, `revision ${String(rev._rev)} dropped numbers`).toEqual([]);
    }
  }, 90_000);
});
