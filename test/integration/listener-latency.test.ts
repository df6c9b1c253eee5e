import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import type { Daemon } from '../../src/daemon.js';

/** The database of a `/{db}/_changes` request, and whether it is a live feed (longpoll). */
function changesRequest(req: IncomingMessage): { db: string; live: boolean } | undefined {
  const m = /^\/([^/?]+)\/_changes(\?.*)?$/.exec(req.url ?? '');
  if (!m) return undefined;
  return { db: decodeURIComponent(m[1]!), live: new URLSearchParams(m[2] ?? '').get('feed') === 'longpoll' };
}

const DB_UPDATES_DOWN = { status: 503, body: { error: 'service_unavailable', reason: 'test: _db_updates delivery disabled' } };

/**
 * How the listener learns of changes on CouchDB 3, where _db_updates is late by design:
 * live _changes feeds on recently changed databases, and rescans that read only what changed.
 */
describe('listener wake-up and rescans', () => {
  let A: string;
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: HttpProxy;
  let daemon: Daemon | undefined;
  let dbUpdatesDown = false;
  const drains = new Map<string, number>();
  let dbsInfoRequests = 0;

  beforeEach(async () => {
    A = freshAccountId();
    ({ couch, fx } = await privateCouchWith({ accounts: [A] }));
    proxy = new HttpProxy(new URL(couch.url));
    dbUpdatesDown = false;
    drains.clear();
    dbsInfoRequests = 0;
    proxy.intercept = (req) => {
      if (req.url?.startsWith('/_dbs_info')) dbsInfoRequests++;
      const changes = changesRequest(req);
      if (changes && !changes.live) drains.set(changes.db, (drains.get(changes.db) ?? 0) + 1);
      return dbUpdatesDown && req.url?.startsWith('/_db_updates') ? DB_UPDATES_DOWN : undefined;
    };
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await proxy.stop();
    await couch.stop();
  });

  it('a live feed alone brings a change to the account doc while _db_updates delivers nothing', async () => {
    const url = await proxy.start();
    daemon = startTestDaemon(testSettings(url, redisUrl(), uniquePrefix('live'), { rescanIntervalMs: 600_000, liveFeeds: 4, coalesceMs: 0 }));
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    const [P] = freshPrefixes(1) as [string];
    const [N1, N2] = freshNumbers(P, 2) as [string, string];
    await fx.createDb(`numbers/${P}`);
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A });
    // _db_updates reports the database (batched, as CouchDB 3 does): that opens its live feed.
    await waitFor(async () => (await fx.listed(A)).includes(N1), { what: 'first number listed via _db_updates' });
    await waitFor(async () => (await daemon!.metrics.liveFeeds.get()).values[0]?.value === 1, { what: 'live feed open' });

    dbUpdatesDown = true;
    await fx.putNumber({ _id: N2, pvt_state: 'in_service', pvt_assigned_to: A });
    // Rescans are 10 minutes apart and _db_updates fails: only the live feed can wake the drain.
    await waitFor(async () => (await fx.listed(A)).includes(N2), { what: 'second number listed via the live feed' });
    expect(await fx.drift([A])).toEqual([]);
  });

  it('a rescan drains only the databases whose state changed since they were drained', async () => {
    const [P1, P2, P3] = freshPrefixes(3) as [string, string, string];
    const numbers = [P1, P2, P3].map((p) => freshNumbers(p, 2) as [string, string]);
    for (const [i, p] of [P1, P2, P3].entries()) {
      await fx.createDb(`numbers/${p}`);
      await fx.putNumber({ _id: numbers[i]![0], pvt_state: 'in_service', pvt_assigned_to: A });
    }
    const url = await proxy.start();
    daemon = startTestDaemon(testSettings(url, redisUrl(), uniquePrefix('rescan'), { rescanIntervalMs: 1000, liveFeeds: 0, coalesceMs: 0 }));
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    await waitFor(async () => (await fx.listed(A)).length === 3, { what: 'first numbers listed' });
    // No live feeds, and _db_updates fails from now on (the listener retries it, it does not
    // fall back to polling): every drain below is a rescan's.
    expect(daemon.listener?.status().dbUpdates).toBe('following');
    dbUpdatesDown = true;

    const waitRescans = async (n: number) => {
      const target = dbsInfoRequests + n;
      await waitFor(() => dbsInfoRequests >= target, { what: `${n} more rescans` });
    };
    await waitRescans(2);
    const before = new Map(drains);
    await waitRescans(3);
    expect(Object.fromEntries(drains)).toEqual(Object.fromEntries(before));

    await fx.putNumber({ _id: numbers[1]![1], pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).includes(numbers[1]![1]), { what: 'number in the changed database listed by a rescan' });
    const changed = `numbers/${P2}`;
    expect(drains.get(changed)).toBeGreaterThan(before.get(changed) ?? 0);
    for (const p of [P1, P3]) expect(drains.get(`numbers/${p}`), p).toBe(before.get(`numbers/${p}`));
    expect(await fx.drift([A])).toEqual([]);
  });
});
