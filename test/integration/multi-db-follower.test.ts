import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CouchClient } from '../../src/couch/couch-client.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { MultiDbFollower, type FollowerCallbacks } from '../../src/follower/multi-db-follower.js';
import { privateCouch, type CouchHandle } from '../harness/servers.js';
import { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { LogCapture } from '../harness/log-capture.js';
import { waitFor } from '../harness/wait.js';

/** A task records the events that asked for it; merged requests concatenate. */
interface Task {
  asked: string[];
}

type Event = [kind: string, db: string, type?: string];

/**
 * The generic follower driven with recording callbacks against a real CouchDB (CouchDB 3
 * fidelity: opaque seqs, _db_updates published in 500 ms batches): what it reports, what it
 * runs, and how it recovers, with nothing of the numbers policy.
 */
describe('MultiDbFollower', () => {
  let couch: CouchHandle;
  let proxy: HttpProxy;
  let fx: CouchFixture;
  let log: LogCapture;
  let controller: AbortController;
  let follower: MultiDbFollower<Task> | undefined;
  /** Names are unique per test: the range holds only this test's databases, even on a shared server. */
  let prefix: string;
  const events: Event[] = [];
  const runs: Array<[db: string, task: Task]> = [];
  const failures: unknown[] = [];

  beforeEach(async () => {
    couch = await privateCouch();
    fx = new CouchFixture(couch.url);
    proxy = new HttpProxy(new URL(couch.url));
    log = new LogCapture();
    controller = new AbortController();
    prefix = `mdf${randomBytes(3).toString('hex')}/`;
    events.length = 0;
    runs.length = 0;
    failures.length = 0;
  });

  afterEach(async () => {
    controller.abort();
    await follower?.stop();
    follower = undefined;
    await proxy.stop();
    await fx.removeCreated();
    await couch.stop();
  });

  /** Callbacks that record every event and run; `run` may be replaced per test. */
  function recording(run?: FollowerCallbacks<Task>['run']): FollowerCallbacks<Task> {
    const ask = (kind: string) => (db: string) => {
      events.push([kind, db]);
      return { asked: [kind] };
    };
    return {
      dbFound: ask('found'),
      dbCreated: ask('created'),
      dbDeleted: ask('deleted'),
      dbChanged: ask('changed'),
      otherDbEvent: (name, type) => void events.push(['other', name, type]),
      run:
        run ??
        (async (db, task) => {
          runs.push([db, task]);
        }),
      remembered: async () => [`${prefix}ok-remembered`],
      failed: (err) => void failures.push(err),
    };
  }

  function startFollower(
    url: string,
    callbacks: FollowerCallbacks<Task>,
    timing: { rescanIntervalMs?: number; pollIntervalMs?: number } = {},
  ): Promise<Set<string>> {
    follower = new MultiDbFollower<Task>({
      couch: new CouchClient({ url, requestTimeoutMs: 5000 }),
      logger: log.logger,
      metrics: new Metrics(),
      range: [prefix, `${prefix}\ufff0`],
      follows: (db) => db.startsWith(`${prefix}ok-`),
      dbKind: 'test database',
      concurrency: 2,
      rescanIntervalMs: timing.rescanIntervalMs ?? 60_000,
      pollIntervalMs: timing.pollIntervalMs ?? 60_000,
      feedTimeoutMs: 1000,
      requestTimeoutMs: 5000,
      merge: (waiting, request) => ({ asked: [...(waiting?.asked ?? []), ...(request.asked ?? [])] }),
      signal: controller.signal,
      callbacks,
    });
    return follower.start();
  }

  const has = (kind: string, db: string, type?: string) => () => events.some((e) => e[0] === kind && e[1] === db && (type === undefined || e[2] === type));

  it('reports created, changed and deleted databases it follows, other ones apart, and runs what the callbacks return', async () => {
    const existing = `${prefix}ok-existing`;
    const other = `${prefix}inventory`;
    await fx.createDbsReported([existing, other]);
    const initial = await startFollower(couch.url, recording());
    // The first rescan: the followed one found, the other in the range reported as such, the
    // remembered one that is not there reported deleted.
    expect(initial).toEqual(new Set([existing, `${prefix}ok-remembered`]));
    expect(events).toContainEqual(['found', existing]);
    expect(events).toContainEqual(['other', other, 'found']);
    expect(events).toContainEqual(['deleted', `${prefix}ok-remembered`]);
    await waitFor(() => runs.some(([db, task]) => db === existing && task.asked.includes('found')), { what: 'the found task run' });

    const db = `${prefix}ok-1`;
    const outside = `x${prefix}other`;
    await fx.createDb(db);
    await fx.createDb(outside);
    await waitFor(has('created', db), { what: 'dbCreated' });
    await waitFor(has('other', outside, 'created'), { what: 'the other database reported' });
    expect(follower!.status().followed).toContain(db);
    expect(follower!.status().followed).not.toContain(outside);

    await fx.couch.request({ method: 'put', db, path: 'doc-1', body: { hello: 'world' } });
    await waitFor(has('changed', db), { what: 'dbChanged after a doc write' });
    await waitFor(() => runs.some(([name, task]) => name === db && task.asked.includes('changed')), { what: 'the changed task run' });

    await fx.deleteDb(db);
    await waitFor(has('deleted', db), { what: 'dbDeleted' });
    expect(follower!.status().followed).not.toContain(db);
    expect(follower!.status().dbUpdates).toBe('following');
    expect(events.filter((e) => e[0] !== 'other').every((e) => e[1].startsWith(`${prefix}ok-`))).toBe(true);
    expect(failures).toEqual([]);
  });

  it('a rescan finds a database created while _db_updates was failing', async () => {
    let dbUpdatesDown = false;
    proxy.intercept = (req) =>
      dbUpdatesDown && req.url?.startsWith('/_db_updates') ? { status: 503, body: { error: 'unavailable', reason: 'test' } } : undefined;
    const url = await proxy.start();
    await startFollower(url, recording(), { rescanIntervalMs: 300 });
    expect(follower!.status().dbUpdates).toBe('following');
    dbUpdatesDown = true;
    const db = `${prefix}ok-unheard`;
    await fx.createDb(db);
    await waitFor(has('found', db), { what: 'the rescan reporting the new database' });
    await waitFor(() => runs.some(([name]) => name === db), { what: 'its task run' });
    // Found by the rescan, never heard of from the feed.
    expect(events).not.toContainEqual(['created', db]);
    expect(follower!.status().followed).toContain(db);
    expect(log.find((r) => r.msg === '_db_updates feed failed; retrying')).toBeDefined();
  });

  it('polls every followed database when the server has no _db_updates', async () => {
    proxy.intercept = (req) => (req.url?.startsWith('/_db_updates') ? { status: 400, body: { error: 'bad_request', reason: 'not supported' } } : undefined);
    const url = await proxy.start();
    const db = `${prefix}ok-polled`;
    await fx.createDb(db);
    await startFollower(url, recording(), { pollIntervalMs: 100 });
    expect(follower!.status().dbUpdates).toBe('unavailable');
    await waitFor(has('changed', db), { what: 'a poll tick asking for the database' });
  });

  it('retries a task that throws, with backoff, until it succeeds', async () => {
    const db = `${prefix}ok-flaky`;
    await fx.createDbsReported([db]);
    const attempts: number[] = [];
    const tasks: Task[] = [];
    await startFollower(
      couch.url,
      recording(async (name, task) => {
        if (name !== db) return;
        attempts.push(Date.now());
        tasks.push(task);
        if (attempts.length < 3) throw new Error(`refused ${attempts.length}`);
      }),
    );
    await waitFor(() => attempts.length >= 3, { what: 'three attempts' });
    // The first run is what the rescan asked; retries are plain requests.
    expect(tasks[0]).toEqual({ asked: ['found'] });
    expect(tasks.slice(1)).toEqual([{ asked: [] }, { asked: [] }]);
    // Backoff starts at 250 ms with up to half of it jittered away, and doubles.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(120);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(245);
    const retries = log.records().filter((r) => r.msg === 'draining test database failed; retrying' && r.db === db);
    expect(retries.map((r) => r.err)).toEqual(['refused 1', 'refused 2']);
    expect(failures).toEqual([]);
  });

  it('unfollows a database whose task says it is gone', async () => {
    const gone = `${prefix}ok-gone`;
    await fx.createDbsReported([gone]);
    await startFollower(
      couch.url,
      recording(async (name) => (name === gone ? 'gone' : undefined)),
    );
    await waitFor(() => !follower!.status().followed.includes(gone), { what: 'the gone database unfollowed' });
  });

  it('retries nothing that fails once the follower was stopped', async () => {
    const db = `${prefix}ok-failing`;
    await fx.createDbsReported([db]);
    let runsOfDb = 0;
    await startFollower(
      couch.url,
      recording(async (name) => {
        if (name !== db) return;
        runsOfDb++;
        controller.abort();
        throw new Error('after the stop');
      }),
    );
    await waitFor(() => runsOfDb > 0, { what: 'the failing run' });
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(runsOfDb).toBe(1);
    expect(log.find((r) => r.msg === 'draining test database failed; retrying')).toBeUndefined();
  });
});
