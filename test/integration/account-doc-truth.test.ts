import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { type CouchFixture, revGeneration } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { waitForRebuilds } from '../../src/queue/rebuild-waiter.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const OUTSIDE = '0e0e0000000000000000000000000001';
const FORGED = '0e0e0000000000000000000000000002';
const WINNER = '0e0e0000000000000000000000000003';
const LOSER = '0e0e0000000000000000000000000004';
const ACCOUNTS = [OUTSIDE, FORGED, WINNER, LOSER];

/**
 * The doc a rebuild starts from must be the real winning revision in CouchDB: the cache in
 * Redis is used only where CouchDB proves it current, and its content only where it is
 * authenticated as written by the daemon.
 */
describe('a rebuild starts from the real account doc', () => {
  let couch: CouchHandle;
  let daemon: Daemon;
  let fx: CouchFixture;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: ACCOUNTS, numbersDbs: ['numbers/+1415'] }));
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('doc-truth'), { coalesceMs: 0 }));
    let n = 0;
    for (const account of ACCOUNTS) {
      for (let i = 0; i < 2; i++) await fx.putNumber({ _id: `+1415666${String(1000 + n++)}`, pvt_state: 'in_service', pvt_assigned_to: account });
    }
    await waitFor(async () => (await daemon.index.isReady()) && (await fx.drift(ACCOUNTS)).length === 0, { what: 'start-up done' });
    await settle();
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  /** Every account's rebuilds done (none waiting, running or retrying). */
  async function settle(): Promise<void> {
    await waitForRebuilds(daemon.queue, new Map(ACCOUNTS.map((a) => [a, undefined])), { timeoutMs: 20_000 });
  }

  /** Requests one rebuild of the account (as a change would) and waits for it. */
  async function rebuild(account: string): Promise<void> {
    const [result] = await waitForRebuilds(daemon.queue, await daemon.queue.request([account]), { timeoutMs: 20_000 });
    expect(result!.state).toBe('completed');
  }

  async function cachedEntry(account: string): Promise<{ key: string; raw: string }> {
    const epoch = (await daemon.index.readyEpoch())!;
    const key = daemon.index.keys.doc(epoch, account);
    const raw = await waitFor(() => daemon.redis.get(key), { what: `a cached doc for ${account}` });
    return { key, raw: raw! };
  }

  it('repairs an outside edit even when the rebuild computes what the cache holds (no-op rule vs the real doc)', async () => {
    await cachedEntry(OUTSIDE);
    const doc = (await fx.accountDoc(OUTSIDE))!;
    await fx.couch.putDoc(accountDbName(OUTSIDE), { ...doc, _id: PHONE_NUMBERS_DOC_ID, '+14156669999': { state: 'in_service', assigned_to: OUTSIDE } });
    expect(await fx.drift([OUTSIDE])).toHaveLength(1);

    await rebuild(OUTSIDE);
    expect(await fx.listed(OUTSIDE)).not.toContain('+14156669999');
    expect(await fx.drift([OUTSIDE])).toEqual([]);
  }, 60_000);

  it('does not write keys from a cached doc edited in Redis (only the rev is trusted)', async () => {
    const { key, raw } = await cachedEntry(FORGED);
    const start = raw.indexOf('{');
    const cached = JSON.parse(raw.slice(start)) as Record<string, unknown>;
    // Same _rev, a forged private key, and a dropped envelope key so that the rebuild must write.
    const { pvt_vsn: _dropped, ...rest } = cached;
    await daemon.redis.set(key, raw.slice(0, start) + JSON.stringify({ ...rest, pvt_forged: 'owned' }), 'KEEPTTL');
    const before = (await fx.accountDoc(FORGED))!._rev;

    await rebuild(FORGED);
    const after = (await fx.accountDoc(FORGED))!;
    expect(after.pvt_forged).toBeUndefined();
    expect(after._rev).toBe(before);
    expect(await fx.drift([FORGED])).toEqual([]);
    const rejected = (await daemon.metrics.registry.getSingleMetricAsString('numbers_sync_doc_cache_rejected_total')) ?? '';
    expect(rejected).toMatch(/reason="forged"} 1/);
  }, 60_000);

  it('writes on the winning revision after replication brought a conflict that wins, and removes the loser', async () => {
    await cachedEntry(WINNER);
    const db = accountDbName(WINNER);
    const doc = (await fx.accountDoc(WINNER))!;
    const numbers = await fx.listed(WINNER);
    // A replicated revision one generation ahead on another branch: it wins, with a stale listing.
    const stale: Record<string, unknown> = {
      ...doc,
      _rev: `${revGeneration(doc._rev) + 1}-ffffffffffffffffffffffffffffffff`,
      '+14156668888': { state: 'in_service' },
    };
    delete stale[numbers[0]!];
    await fx.couch.request({ method: 'post', db, path: '_bulk_docs', body: { new_edits: false, docs: [stale] } });
    const conflicted = await fx.couch.request<Record<string, unknown>>({ db, path: PHONE_NUMBERS_DOC_ID, qs: { conflicts: true } });
    expect(conflicted._rev).toBe(stale._rev);
    expect(conflicted._conflicts).toEqual([doc._rev]);

    await rebuild(WINNER);
    const after = await fx.couch.request<Record<string, unknown>>({ db, path: PHONE_NUMBERS_DOC_ID, qs: { conflicts: true } });
    expect(after._conflicts ?? []).toEqual([]);
    expect(
      Object.keys(after)
        .filter((k) => k.startsWith('+'))
        .sort(),
    ).toEqual(numbers);
    expect(await fx.drift([WINNER])).toEqual([]);
  }, 60_000);

  it('removes a losing conflict revision it sees even when the winner is already right', async () => {
    await cachedEntry(LOSER);
    const db = accountDbName(LOSER);
    const doc = (await fx.accountDoc(LOSER))!;
    // Same generation, lower rev id: this branch loses.
    const losing = { ...doc, _rev: `${revGeneration(doc._rev)}-00000000000000000000000000000000`, '+14156667777': { state: 'in_service' } };
    await fx.couch.request({ method: 'post', db, path: '_bulk_docs', body: { new_edits: false, docs: [losing] } });
    const conflicted = await fx.couch.request<Record<string, unknown>>({ db, path: PHONE_NUMBERS_DOC_ID, qs: { conflicts: true } });
    expect(conflicted._rev).toBe(doc._rev);
    expect(conflicted._conflicts).toEqual([losing._rev]);

    await rebuild(LOSER);
    const after = await fx.couch.request<Record<string, unknown>>({ db, path: PHONE_NUMBERS_DOC_ID, qs: { conflicts: true } });
    expect(after._conflicts ?? []).toEqual([]);
    expect(after._rev).toBe(doc._rev);
    expect(await fx.drift([LOSER])).toEqual([]);
  }, 60_000);
});
