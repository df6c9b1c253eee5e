import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { testLogger } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { listenerIndex } from '../harness/listener-index.js';
import { indexListing } from '../harness/index-listing.js';
import { CouchClient } from '../../src/couch/couch-client.js';
import type { NumberIndex } from '../../src/index/number-index.js';
import { AccountRebuilder } from '../../src/rebuild/account-rebuilder.js';
import { AccountDocCache, DocCacheSeal } from '../../src/rebuild/doc-cache.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';

const A = '4ead000000000000000000000000000a';
const N1 = '+14158870001';
const N2 = '+14158870002';

/**
 * The rebuild of an account whose doc this process cached asks for the doc's rev before reading
 * the index: when the cached doc is current, nothing is awaited between the index read and the
 * write, and the epoch is not read again. Whenever something is (a GET, the test hook), it is.
 */
describe('rebuild with the HEAD first', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let redis: Redis;
  let index: NumberIndex;
  let epoch: string;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A] }));
    redis = new Redis(redisUrl());
    index = await listenerIndex(redis, uniquePrefix('head-first'));
    epoch = await index.resetEpoch();
    await index.markReady(epoch);
  });

  afterAll(async () => {
    redis?.disconnect();
    await couch?.stop();
  });

  /** Makes the index say the account lists exactly these numbers. */
  const listing = (numbers: string[]) => indexListing(index, epoch, A, [N1, N2], numbers);

  it('skips the epoch re-check only when the cached doc is proven current right before the index read', async () => {
    const logger = testLogger();
    const docCache = new AccountDocCache({ redis, keys: index.keys, seal: new DocCacheSeal(randomBytes(32)), logger });
    const rebuilder = new AccountRebuilder({ couch: new CouchClient({ url: couch.url }), index, docCache, logger });
    const epochReads = vi.spyOn(index, 'readyEpoch');

    await listing([N1]);
    expect(await rebuilder.rebuild(A)).toBe('written');
    expect(epochReads).toHaveBeenCalledTimes(1);

    await listing([N1, N2]);
    expect(await rebuilder.rebuild(A)).toBe('written');
    expect(epochReads).toHaveBeenCalledTimes(1);
    expect(await fx.listed(A)).toEqual([N1, N2]);

    // Another writer: the cached doc is stale, the rebuild reads the doc (an await) and re-checks.
    const doc = (await fx.accountDoc(A))!;
    await fx.couch.putDoc(accountDbName(A), { ...doc, _id: PHONE_NUMBERS_DOC_ID, pvt_foreign: 'kept' });
    await listing([N1]);
    expect(await rebuilder.rebuild(A)).toBe('written');
    expect(epochReads).toHaveBeenCalledTimes(2);
    expect(await fx.listed(A)).toEqual([N1]);
    expect((await fx.accountDoc(A))!.pvt_foreign).toBe('kept');

    // With the test hook between read and write, the epoch is always re-checked.
    const hooked = new AccountRebuilder({ couch: new CouchClient({ url: couch.url }), index, docCache, logger, beforeWrite: async () => undefined });
    await hooked.rebuild(A);
    await listing([N1, N2]);
    expect(await hooked.rebuild(A)).toBe('written');
    expect(epochReads).toHaveBeenCalledTimes(3);
    epochReads.mockRestore();
  }, 60_000);
});
