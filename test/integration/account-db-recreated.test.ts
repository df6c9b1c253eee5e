import { afterAll, beforeAll, describe, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import type { CouchFixture } from '../harness/numbers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const A = '3ec3ea7e3ec3ea7e3ec3ea7e3ec3ea01';

describe('an account database deleted and re-created while running', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: ['numbers/+1415'] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch.stop();
  });

  it('gets its phone_numbers doc back', async () => {
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('recreate'), { rescanIntervalMs: 600_000 }));
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'A listed' });
    await fx.deleteDb(accountDbName(A));
    await fx.createAccountDb(A);
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'the doc back in the re-created database' });
  }, 60_000);
});
