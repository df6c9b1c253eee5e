import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

/** Sorted first, so the sweep's account check meets it before the others. */
const BROKEN = '00000000000000000000000000000001';
const accounts = Array.from({ length: 8 }, (_, i) => `a${i}`.padEnd(32, '0'));
const EDITED = accounts[accounts.length - 1]!;
const SWEEP_MS = 2000;

/**
 * One account database whose phone_numbers doc cannot be read (a shard down, a 500) must not
 * stop the anti-entropy sweep from checking every other account: an account doc edited behind
 * the daemon's back is healed only by the sweep.
 */
describe('sweep with one account database failing', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: FaultProxy;
  let daemon: Daemon;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [BROKEN, ...accounts], numbersDbs: ['numbers/+1415'] }));
    const broken = encodeURIComponent(accountDbName(BROKEN));
    proxy = await startFaultProxy(couch.url, (req) => req.method === 'GET' && (req.url ?? '').includes(broken) && (req.url ?? '').includes('phone_numbers'));
    for (let i = 0; i < accounts.length; i++) await fx.putNumber({ _id: `+141555510${10 + i}`, pvt_state: 'in_service', pvt_assigned_to: accounts[i] });
    daemon = startTestDaemon(
      testSettings(proxy.url, redisUrl(), uniquePrefix('sweepfail'), {
        rescanIntervalMs: 600_000,
        coalesceMs: 0,
        sweepIntervalMs: SWEEP_MS,
        sweepMaxReadsPerS: 1000,
      }),
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await couch?.stop();
  });

  it('heals an edited account doc although another account fails every sweep', async () => {
    await waitFor(async () => (await fx.drift(accounts)).length === 0 && (await fx.listed(EDITED)).length === 1, { what: 'initial sync' });
    const doc = (await fx.accountDoc(EDITED))!;
    await fx.couch.putDoc(accountDbName(EDITED), { ...doc, _id: String(doc._id), '+14155559999': { state: 'in_service' } });
    expect(await fx.listed(EDITED)).toHaveLength(2);
    await waitFor(async () => (await fx.listed(EDITED)).length === 1, { what: 'the edited account doc repaired by a sweep', timeoutMs: 5 * SWEEP_MS });
    expect(proxy.failed.length).toBeGreaterThan(0);
  }, 60_000);
});
