import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const A = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const [N1, N2, N3] = freshNumbers(P, 3) as [string, string, string];

/**
 * A rebuild starts from the doc the daemon last wrote (cached in Redis with its rev) instead of
 * reading it again; a doc someone else wrote since is detected by the 409 and re-read.
 */
describe('account doc cache', () => {
  let couch: CouchHandle;
  let proxy: HttpProxy;
  let daemon: Daemon;
  let fx: CouchFixture;
  const docReads: string[] = [];
  const docPath = `/${encodeURIComponent(accountDbName(A))}/${PHONE_NUMBERS_DOC_ID}`;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
    proxy = new HttpProxy(new URL(couch.url));
    proxy.intercept = (req: IncomingMessage) => {
      if (req.method === 'GET' && req.url?.split('?')[0] === docPath) docReads.push(req.url);
      return undefined;
    };
    // Coalescing off: each change below is its own rebuild.
    daemon = startTestDaemon(testSettings(await proxy.start(), redisUrl(), uniquePrefix('doc-cache'), { coalesceMs: 0 }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.stop();
    await couch?.stop();
  });

  it('does not read the doc back after writing it, and re-reads it after a 409', async () => {
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).includes(N1), { what: 'first number listed' });
    expect(docReads.length).toBe(1); // the first rebuild finds no doc

    docReads.length = 0;
    await fx.putNumber({ _id: N2, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).includes(N2), { what: 'second number listed' });
    expect(docReads).toEqual([]);

    // Another writer adds a locality and a foreign key: the cached rev is now stale.
    const doc = (await fx.accountDoc(A))!;
    const first = doc[N1] as Record<string, unknown>;
    await fx.couch.putDoc(accountDbName(A), { ...doc, _id: PHONE_NUMBERS_DOC_ID, pvt_foreign: 'kept', [N1]: { ...first, locality: { city: 'SF' } } });
    await fx.putNumber({ _id: N3, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).includes(N3), { what: 'third number listed' });
    expect(docReads.length).toBeGreaterThanOrEqual(1);
    const after = (await fx.accountDoc(A))!;
    expect(after.pvt_foreign).toBe('kept');
    expect((after[N1] as Record<string, unknown>).locality).toEqual({ city: 'SF' });
    expect(
      Object.keys(after)
        .filter((k) => k.startsWith('+'))
        .sort(),
    ).toEqual([N1, N2, N3]);
  }, 60_000);
});
