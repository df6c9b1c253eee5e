import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { NumberIndex } from '../../src/index/number-index.js';
import type { Daemon } from '../../src/daemon.js';

const A = '4e90c000e90c000e90c000e90c000a01';

/**
 * Redis lost only the epoch key (partial eviction, an operator's DEL) while the daemon was
 * down, and a numbers database was deleted meanwhile: the new epoch must start from an empty
 * index, or the deleted database's numbers stay listed for good.
 */
describe('only the epoch key lost', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;
  const admin = new Redis(redisUrl());

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: ['numbers/+1415', 'numbers/+1416'] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    admin.disconnect();
    await couch.stop();
  });

  it('starts the new epoch from an empty index', async () => {
    const prefix = uniquePrefix('epoch-only');
    const keys = new NumberIndex(admin, prefix).keys;
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix));
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await fx.putNumber({ _id: '+14165550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'both numbers listed' });
    await daemon.stop();

    await fx.deleteDb('numbers/+1416');
    await admin.del(keys.epoch);
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix));
    await waitFor(async () => (await admin.get(keys.epoch)) !== null && (await admin.get(keys.epoch)) === (await admin.get(keys.ready)), {
      what: 'the new index ready',
    });
    await waitFor(async () => JSON.stringify(await fx.listed(A)) === JSON.stringify(['+14155550100']), {
      what: 'the deleted database forgotten',
      timeoutMs: 20_000,
    });
    expect(await admin.exists(keys.number('+14165550100'), keys.db('numbers/+1416'))).toBe(0);
  }, 60_000);
});
