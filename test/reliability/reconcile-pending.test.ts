import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const A = '2ec0c000ec0c000ec0c000ec0c000a01';
/** Account whose doc lists a number no numbers database holds: only the reconcile reaches it. */
const C = '2ec0c000ec0c000ec0c000ec0c000c01';
const STALE = '+19995550100';

describe('the reconcile after an index replay', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: FaultProxy;
  let daemon: Daemon | undefined;
  let failAccountListing = true;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, C], numbersDbs: ['numbers/+1415'] }));
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await fx.couch.putDoc(accountDbName(C), { _id: PHONE_NUMBERS_DOC_ID, [STALE]: { state: 'in_service', features: [] } });
    proxy = await startFaultProxy(
      couch.url,
      (req) => failAccountListing && (req.url ?? '').includes('_all_dbs') && decodeURIComponent(req.url ?? '').includes('"account/'),
    );
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy.close();
    await couch.stop();
  });

  it('is done by a later session when listing the account databases failed after ready', async () => {
    const prefix = uniquePrefix('reconcile');
    daemon = startTestDaemon(testSettings(proxy.url, redisUrl(), prefix));
    await waitFor(() => proxy.failed.length > 0, { what: 'the account listing to fail' });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'A listed (index ready)' });
    await daemon.stop();
    failAccountListing = false;
    daemon = startTestDaemon(testSettings(proxy.url, redisUrl(), prefix));
    await waitFor(async () => !(await fx.listed(C)).includes(STALE), { what: 'the reconcile to remove the stale entry of C', timeoutMs: 30_000 });
    expect(await fx.drift([A, C])).toEqual([]);
  }, 60_000);
});
