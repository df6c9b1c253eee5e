import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { CouchClient } from '../../src/couch/couch-client.js';
import type { DbUpdate } from '../../src/couch/couch-client.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { MultiDbFollower } from '../../src/follower/multi-db-follower.js';
import { privateCouch, type CouchHandle } from '../harness/servers.js';
import { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { LogCapture } from '../harness/log-capture.js';
import { waitFor } from '../harness/wait.js';

/** What one drain saw: the ids its database held when it read it. */
interface Drain {
  db: string;
  ids: string[];
}

/** A promise a test opens when it wants (a request held by the proxy until then). */
class Gate {
  open!: () => void;
  readonly promise = new Promise<void>((resolve) => {
    this.open = resolve;
  });
}

/**
 * Live _changes feeds and _db_updates report the same change (CouchDB 3 fidelity: _db_updates
 * in 500 ms batches): one drain per change once a feed covers the database, and no change lost
 * when the feed stops being continuous (evicted, failing, not yet answered). The follower's
 * task reads the database, so "the drain saw the doc" is what reaches the account doc.
 */
describe('live feeds: one drain per change, none lost', () => {
  let couch: CouchHandle;
  let proxy: HttpProxy;
  let fx: CouchFixture;
  let controller: AbortController;
  let follower: MultiDbFollower<object> | undefined;
  let prefix: string;
  let drains: Drain[];
  let inFlight: number;
  /** _db_updates events the follower handled. */
  let handled: DbUpdate[];
  /** Requests the proxy saw (URL), held or not. */
  let seen: string[];
  /** The proxy records every request and holds those `gates` pick until their gate opens. */
  const gates: Array<[pick: (req: IncomingMessage) => boolean, gate: Gate]> = [];

  beforeEach(async () => {
    couch = await privateCouch();
    fx = new CouchFixture(couch.url);
    proxy = new HttpProxy(new URL(couch.url));
    controller = new AbortController();
    prefix = `lfd${randomBytes(3).toString('hex')}/`;
    drains = [];
    inFlight = 0;
    handled = [];
    seen = [];
    gates.length = 0;
    proxy.hold = (req) => {
      seen.push(req.url ?? '');
      return gates.find(([pick]) => pick(req))?.[1].promise;
    };
  });

  afterEach(async () => {
    controller.abort();
    await follower?.stop();
    follower = undefined;
    await proxy.stop();
    await fx.removeCreated();
    await couch.stop();
  });

  async function startFollower(liveFeeds: number): Promise<void> {
    const url = await proxy.start();
    const client = new CouchClient({ url, requestTimeoutMs: 5000 });
    const reader = new CouchClient({ url: couch.url, requestTimeoutMs: 5000 });
    const task = () => ({});
    follower = new MultiDbFollower<object>({
      couch: client,
      logger: new LogCapture().logger,
      metrics: new Metrics(),
      range: [prefix, `${prefix}\ufff0`],
      follows: (db) => db.startsWith(`${prefix}ok-`),
      dbKind: 'test database',
      concurrency: 2,
      rescanIntervalMs: 600_000,
      pollIntervalMs: 600_000,
      liveFeeds,
      feedTimeoutMs: 5000,
      requestTimeoutMs: 5000,
      merge: () => ({}),
      signal: controller.signal,
      callbacks: {
        dbFound: task,
        dbCreated: task,
        dbDeleted: task,
        dbChanged: task,
        run: async (db) => {
          inFlight++;
          try {
            const page = await reader.changes(db, { since: 0, limit: 10_000, includeDocs: false });
            drains.push({ db, ids: page.results.map((r) => r.id) });
          } finally {
            inFlight--;
          }
        },
        failed: () => undefined,
      },
    });
    const onDbUpdate = follower.onDbUpdate.bind(follower);
    follower.onDbUpdate = (update) => {
      onDbUpdate(update);
      handled.push(update);
    };
    await follower.start();
  }

  const path = (db: string) => `/${encodeURIComponent(db)}/_changes`;
  const isLongpoll = (req: IncomingMessage, db: string) => req.url?.startsWith(path(db)) === true && req.url.includes('feed=longpoll');
  const isOpening = (req: IncomingMessage, db: string) => req.url?.startsWith(path(db)) === true && !req.url.includes('feed=longpoll');
  const count = (pred: (url: string) => boolean) => seen.filter(pred).length;
  const holdWhile = (pick: (req: IncomingMessage) => boolean): Gate => {
    const gate = new Gate();
    gates.push([pick, gate]);
    return gate;
  };
  const release = (gate: Gate) => {
    gates.splice(
      gates.findIndex(([, g]) => g === gate),
      1,
    );
    gate.open();
  };

  const put = (db: string, id: string) => fx.couch.request({ method: 'put', db, path: id, body: {} });
  const drainedWith = (db: string, id: string) => () => drains.some((d) => d.db === db && d.ids.includes(id));
  const eventsOf = (db: string) => handled.filter((u) => u.db_name === db && u.type === 'updated').length;
  /** A feed on `db` is live: its first longpoll reached the proxy. */
  const feedLive = (db: string) => waitFor(() => count((u) => u.startsWith(path(db)) && u.includes('feed=longpoll')) > 0, { what: `live feed on ${db}` });
  /** Nothing runs, twice in a row (a drain asked while another ran starts right after it). */
  const quiet = () =>
    waitFor(
      async () => {
        if (inFlight > 0) return false;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return inFlight === 0;
      },
      { what: 'no drain running' },
    );

  /** Writes one doc, waits until a drain saw it and _db_updates reported it: how many drains it cost. */
  async function isolatedChange(db: string, id: string): Promise<number> {
    await quiet();
    const before = drains.filter((d) => d.db === db).length;
    const events = eventsOf(db);
    await put(db, id);
    await waitFor(drainedWith(db, id), { what: `a drain of ${db} saw ${id}` });
    await waitFor(() => eventsOf(db) > events, { what: `_db_updates reported ${db}` });
    await quiet();
    return drains.filter((d) => d.db === db).length - before;
  }

  it('one drain per isolated change once a live feed covers the database (the late _db_updates event asks none)', async () => {
    const db = `${prefix}ok-count`;
    await fx.createDbsReported([db]);
    await startFollower(64);
    await isolatedChange(db, 'warm-up');
    await feedLive(db);
    const costs = [];
    for (const id of ['c1', 'c2', 'c3']) costs.push(await isolatedChange(db, id));
    expect(costs).toEqual([1, 1, 1]);
  });

  it('a change whose _db_updates event a live feed took over is drained when that feed is evicted before reporting it', async () => {
    const [a, b] = [`${prefix}ok-a`, `${prefix}ok-b`];
    await fx.createDbsReported([a, b]);
    await startFollower(1);
    await isolatedChange(a, 'a0');
    await feedLive(a);
    // The feed's next longpolls never reach the server: it reports a1 (in flight), then is blind.
    const blind = holdWhile((req) => isLongpoll(req, a));
    const longpolls = count((u) => u.startsWith(path(a)) && u.includes('feed=longpoll'));
    await put(a, 'a1');
    await waitFor(drainedWith(a, 'a1'), { what: 'a1 drained' });
    await waitFor(() => count((u) => u.startsWith(path(a)) && u.includes('feed=longpoll')) > longpolls, { what: 'the blind longpoll' });
    const events = eventsOf(a);
    await put(a, 'a2');
    await waitFor(() => eventsOf(a) > events, { what: '_db_updates reported a2 (taken over by the live feed)' });
    // b's change opens b's feed: a's (the only place) is evicted.
    await put(b, 'b1');
    await waitFor(drainedWith(a, 'a2'), { what: 'a2 drained after the eviction' });
    await waitFor(drainedWith(b, 'b1'), { what: 'b1 drained' });
    release(blind);
  });

  for (const delayed of [false, true]) {
    it(`a change while the live feed fails is drained (_db_updates ${delayed ? 'delayed until the feed is back' : 'working'})`, async () => {
      const a = `${prefix}ok-a`;
      const marker = `${prefix}marker`;
      await fx.createDbsReported([a, marker]);
      await startFollower(4);
      await isolatedChange(a, 'a0');
      await feedLive(a);
      let failing = true;
      let refused = 0;
      proxy.intercept = (req) => {
        if (!failing || !isLongpoll(req, a)) return undefined;
        refused++;
        return { status: 500, body: { error: 'unknown_error', reason: 'test' } };
      };
      await put(a, 'a1'); // answered by the longpoll in flight; the next ones fail
      await waitFor(() => refused > 0, { what: 'the feed failing' });
      let dbUpdates: Gate | undefined;
      if (delayed) {
        dbUpdates = holdWhile((req) => req.url?.startsWith('/_db_updates') === true);
        // The _db_updates longpoll in flight answers the marker's change; the next one is held.
        const polls = count((u) => u.startsWith('/_db_updates'));
        await put(marker, 'm');
        await waitFor(() => count((u) => u.startsWith('/_db_updates')) > polls, { what: 'a held _db_updates request' });
      }
      await put(a, 'a2');
      if (delayed) {
        failing = false; // the feed comes back and reports a2 itself; then the late event arrives
        await waitFor(drainedWith(a, 'a2'), { what: 'a2 drained by the feed back' });
        release(dbUpdates!);
        return;
      }
      await waitFor(drainedWith(a, 'a2'), { what: 'a2 drained while the feed fails' });
      failing = false;
    });
  }

  it('changes between a feed opening and its first answer are drained once it answers', async () => {
    const a = `${prefix}ok-a`;
    await fx.createDbsReported([a]);
    await startFollower(4);
    const opening = holdWhile((req) => isOpening(req, a));
    const events = eventsOf(a);
    await put(a, 'a1'); // its _db_updates event opens the feed, whose first request is held
    await waitFor(() => eventsOf(a) > events, { what: '_db_updates reported a1' });
    await put(a, 'a2');
    await waitFor(() => eventsOf(a) > events + 1, { what: '_db_updates reported a2' });
    release(opening);
    await waitFor(drainedWith(a, 'a2'), { what: 'a1 and a2 drained once the feed answered' });
    expect(drains.some((d) => d.db === a && d.ids.includes('a1'))).toBe(true);
  });

  it('a change is drained when the feed opening fails', async () => {
    const a = `${prefix}ok-a`;
    await fx.createDbsReported([a]);
    await startFollower(4);
    proxy.intercept = (req) => (isOpening(req, a) ? { status: 500, body: { error: 'unknown_error', reason: 'test' } } : undefined);
    await put(a, 'a1');
    await waitFor(drainedWith(a, 'a1'), { what: 'a1 drained though the feed never opened' });
  });
});
