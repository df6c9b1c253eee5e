import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import type { Daemon } from '../../src/daemon.js';

describe('feed fallbacks and fatal errors', () => {
  let A: string;
  let couch: CouchHandle;
  let proxy: HttpProxy;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;

  beforeEach(async () => {
    A = freshAccountId();
    ({ couch, fx } = await privateCouchWith({ accounts: [A] }));
    proxy = new HttpProxy(new URL(couch.url));
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await proxy.stop();
    await couch.stop();
  });

  it('falls back to polling when _db_updates is not available, and still sees new databases on rescan', async () => {
    proxy.intercept = (req) => (req.url?.startsWith('/_db_updates') ? { status: 400, body: { error: 'bad_request', reason: 'not supported' } } : undefined);
    const url = await proxy.start();
    daemon = startTestDaemon(testSettings(url, redisUrl(), uniquePrefix('poll'), { rescanIntervalMs: 1000, pollIntervalMs: 200 }));
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    expect(daemon.listener?.status().dbUpdates).toBe('unavailable');

    const [P] = freshPrefixes(1) as [string];
    const [N1, N2] = freshNumbers(P, 2) as [string, string];
    await fx.createDb(`numbers/${P}`);
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'number listed via rescan + polling' });
    await fx.putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'second number listed via polling' });
    expect(await fx.drift([A])).toEqual([]);
  });

  it('stops with a clear error when CouchDB refuses the credentials (401)', async () => {
    proxy.intercept = (req) =>
      req.url?.startsWith('/_all_dbs') ? { status: 401, body: { error: 'unauthorized', reason: 'Name or password is incorrect.' } } : undefined;
    const url = await proxy.start();
    let fatal: Error | undefined;
    daemon = startTestDaemon(testSettings(url, redisUrl(), uniquePrefix('auth')), { onFatal: (err) => (fatal = err) });
    await waitFor(() => fatal, { what: 'fatal error reported' });
    expect(fatal?.message).toMatch(/401|unauthorized|incorrect/i);
  });

  it('stops with a clear error when the server itself refuses the login', async () => {
    // A user that does not exist: CouchDB 3 locks a user out of an IP after 5 failed logins
    // ([chttpd_auth_lockout]), which must never hit the admin the rest of the suite uses.
    const url = new URL(couch.url);
    url.username = `nsync-nobody-${randomBytes(4).toString('hex')}`;
    url.password = randomBytes(8).toString('hex');
    let fatal: Error | undefined;
    daemon = startTestDaemon(testSettings(url.href, redisUrl(), uniquePrefix('auth-real')), { onFatal: (err) => (fatal = err) });
    await waitFor(() => fatal, { what: 'fatal error reported' });
    expect(fatal?.message).toMatch(/401|unauthorized|incorrect/i);
    expect(fatal?.message).not.toContain(url.password);
  });
});
