// The embedded CouchDB-protocol server (in memory), driven through nano and raw HTTP.
// Each block names the express-pouchdb defect it proves fixed; see packages/embedded-couch/README.md.
import { Agent, request as httpRequest } from 'node:http';
import nano, { type DocumentScope, type ServerScope } from 'nano';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';
import { fetchWithCredentials, jsonLines, nanoError, raw, uniqueName } from '../helpers.js';

type Doc = Record<string, unknown>;
interface ChangesBody {
  results: Array<{ id: string; seq: unknown; deleted?: boolean; doc?: Doc; changes: Array<{ rev: string }> }>;
  last_seq: unknown;
  pending?: number;
}
interface DbUpdatesBody {
  results: Array<{ db_name: string; type: string; seq: string }>;
  last_seq: string;
}

let couch: EmbeddedCouch;
let server: ServerScope;

beforeAll(async () => {
  // Views on: this file also covers them (they run design-document JavaScript, so they are off by default).
  couch = await startEmbeddedCouch({ jsViews: true });
  server = nano(couch.url);
});

afterAll(async () => {
  await couch?.stop();
});

async function newDb(prefix: string): Promise<{ name: string; db: DocumentScope<Doc> }> {
  const name = uniqueName(prefix);
  await server.db.create(name);
  return { name, db: server.db.use<Doc>(name) };
}

async function updateSeq(name: string): Promise<number> {
  return Number((await server.db.get(name)).update_seq);
}

async function dbUpdatesNow(): Promise<string> {
  const r = await raw(couch.url, '/_db_updates?since=now');
  return (r.body as DbUpdatesBody).last_seq;
}

async function alive(): Promise<void> {
  const r = await raw(couch.url, '/');
  expect(r.body).toMatchObject({ couchdb: 'Welcome' });
}

describe('launcher', () => {
  it('reports a credential-free base URL, a URL with the admin credentials, a port and a live pid', async () => {
    expect(couch.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(couch.baseUrl).toBe(`http://127.0.0.1:${couch.port}`);
    expect(couch.url).toBe(`http://${couch.admin.username}:${encodeURIComponent(couch.admin.password)}@127.0.0.1:${couch.port}`);
    expect(() => process.kill(couch.pid, 0)).not.toThrow();
    expect(await server.info()).toMatchObject({ couchdb: 'Welcome', version: expect.stringMatching(/^3\./) });
  });
});

describe('defect 1: database names containing "/"', () => {
  it('creates numbers/+NNNN under its real name, distinct from numbers+NNNN', async () => {
    const base = uniqueName('numbers');
    const slash = `${base}/+1415`;
    const plain = `${base}+1415`;
    const put = await raw(couch.url, `/${encodeURIComponent(slash)}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ ok: true });
    // Stock express-pouchdb strips the '/', so this second create collided with the first (412).
    await server.db.create(plain);
    const all = await server.db.list();
    expect(all).toContain(slash);
    expect(all).toContain(plain);
    expect((await server.db.get(slash)).db_name).toBe(slash);

    const db = server.db.use<Doc>(slash);
    await db.insert({ _id: 'only-in-slash', v: 1 });
    expect(await nanoError(server.db.use(plain).get('only-in-slash'))).toMatchObject({ statusCode: 404 });
  });

  it('supports documents, _all_docs, _changes, _bulk_docs, _local and _bulk_get in a slash database', async () => {
    const name = `${uniqueName('numbers')}/+4420`;
    await server.db.create(name);
    const db = server.db.use<Doc>(name);

    const created = await db.insert({ _id: '+442071234567', state: 'in_service' });
    const doc = await db.get('+442071234567');
    expect(doc).toMatchObject({ _id: '+442071234567', state: 'in_service', _rev: created.rev });
    const updated = await db.insert({ ...doc, state: 'released' });
    expect(updated.rev).toMatch(/^2-/);

    const bulk = await db.bulk({ docs: [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }] });
    expect(bulk.every((r) => !r.error)).toBe(true);
    await db.destroy('c', bulk[2]!.rev!);

    const list = await db.list();
    expect(list.rows.map((r) => r.id)).toEqual(['+442071234567', 'a', 'b']);

    const changes = await db.changes({ since: 0 });
    expect(changes.results.map((r) => r.id).sort()).toEqual(['+442071234567', 'a', 'b', 'c']);
    expect(changes.results.find((r) => r.id === 'c')?.deleted).toBe(true);

    const withAtt = await db.attachment.insert('a', 'note.txt', Buffer.from('hello'), 'text/plain', { rev: bulk[0]!.rev! });
    expect((await db.attachment.get('a', 'note.txt')).toString()).toBe('hello');
    const noAtt = await db.attachment.destroy('a', 'note.txt', { rev: withAtt.rev });
    bulk[0]!.rev = noAtt.rev;
    expect(await nanoError(db.attachment.get('a', 'note.txt'))).toMatchObject({ statusCode: 404 });

    await db.insert({ _id: '_design/app', views: { byState: { map: 'function (doc) { if (doc.state) emit(doc.state, null); }' } } });
    expect((await db.view('app', 'byState')).rows.map((r) => r.key)).toEqual(['released']);

    const local = await db.insert({ _id: '_local/checkpoint', seq: 5 });
    expect(await db.get('_local/checkpoint')).toMatchObject({ seq: 5 });
    await db.destroy('_local/checkpoint', local.rev);
    expect(await nanoError(db.get('_local/checkpoint'))).toMatchObject({ statusCode: 404 });

    // express-pouchdb's _bulk_get turned PouchDB 9 errors into {}; CouchDB's shape is expected.
    const bulkGet = await raw(couch.url, `/${encodeURIComponent(name)}/_bulk_get?revs=true`, {
      method: 'POST',
      json: { docs: [{ id: 'a' }, { id: 'nope' }, { id: 'a', rev: '9-zzz' }, { id: 'c' }] },
    });
    expect(bulkGet.status).toBe(200);
    expect(bulkGet.body).toMatchObject({
      results: [
        { id: 'a', docs: [{ ok: { _id: 'a', _rev: bulk[0]!.rev, _revisions: { start: 3 } } }] },
        { id: 'nope', docs: [{ error: { id: 'nope', rev: 'undefined', error: 'not_found', reason: 'missing' } }] },
        { id: 'a', docs: [{ error: { id: 'a', rev: '9-zzz', error: 'not_found' } }] },
        { id: 'c', docs: [{ error: { id: 'c', error: 'not_found', reason: 'deleted' } }] },
      ],
    });

    await server.db.destroy(name);
    expect(await server.db.list()).not.toContain(name);
  });
});

describe('defect 2: longpoll _changes honours timeout', () => {
  it('returns an empty result with last_seq after the timeout', async () => {
    const { name } = await newDb('lp');
    const started = Date.now();
    const r = await raw(couch.url, `/${name}/_changes?feed=longpoll&timeout=500&since=now`);
    const elapsed = Date.now() - started;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ results: [], last_seq: 0 });
    // Generous bounds: stock express-pouchdb never answered at all.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('returns as soon as a change arrives (a 60 s timeout would outlive the test)', { timeout: 20_000 }, async () => {
    const { name, db } = await newDb('lp');
    const since = await updateSeq(name);
    const poll = db.changes({ feed: 'longpoll', since, timeout: 60_000, include_docs: true });
    await new Promise((r) => setTimeout(r, 200));
    await db.insert({ _id: 'wake-up', n: 1 });
    const res = (await poll) as unknown as ChangesBody;
    expect(res.results.map((r) => r.id)).toEqual(['wake-up']);
    expect(res.results[0]!.doc).toMatchObject({ n: 1 });
    expect(res.last_seq).toBe(since + 1);
  });

  it('drives nano changesReader (longpoll loop) with each new change', { timeout: 20_000 }, async () => {
    const { name, db } = await newDb('lp');
    const since = await updateSeq(name);
    const seen: string[] = [];
    const ee = db.changesReader.start({ since, includeDocs: true, timeout: 60_000 });
    try {
      const done = new Promise<void>((resolve, reject) => {
        ee.on('change', (c: { id: string }) => {
          seen.push(c.id);
          if (seen.length === 2) resolve();
        });
        ee.on('error', reject);
      });
      await db.insert({ _id: 'one' });
      await new Promise((r) => setTimeout(r, 100));
      await db.insert({ _id: 'two' });
      await done;
    } finally {
      db.changesReader.stop();
    }
    expect(seen).toEqual(['one', 'two']);
  });
});

describe('defect 3: continuous _changes is not held back by gzip', () => {
  it('streams each change promptly to a client that accepts gzip', { timeout: 20_000 }, async () => {
    const { name, db } = await newDb('ct');
    const since = await updateSeq(name);
    const abort = new AbortController();
    const res = await fetchWithCredentials(`${couch.url}/${name}/_changes?feed=continuous&since=${since}&heartbeat=30000`, {
      headers: { 'Accept-Encoding': 'gzip, deflate' },
      signal: abort.signal,
    });
    try {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBeNull();
      const lines = jsonLines(res);
      await db.insert({ _id: 'first' });
      expect((await lines.next()).value).toMatchObject({ id: 'first', seq: since + 1 });
      await db.insert({ _id: 'second' });
      expect((await lines.next()).value).toMatchObject({ id: 'second', seq: since + 2 });
    } finally {
      abort.abort();
    }
  });

  it('ends a continuous feed with last_seq after its timeout, and stops at limit', async () => {
    const { db, name } = await newDb('ct');
    await db.bulk({ docs: [{ _id: 'a' }, { _id: 'b' }, { _id: 'c' }] });
    const timedOut = await raw(couch.url, `/${name}/_changes?feed=continuous&since=now&timeout=300`);
    expect(
      timedOut.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ last_seq: 3, pending: 0 }]);

    const limited = await raw(couch.url, `/${name}/_changes?feed=continuous&since=0&limit=2&timeout=60000`);
    const lines = limited.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.id ?? 'end')).toEqual(['a', 'b', 'end']);
    expect(lines[2]).toMatchObject({ last_seq: 2 });
  });

  it('never compresses responses', async () => {
    const r = await raw(couch.url, '/_all_dbs', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.headers.get('content-encoding')).toBeNull();
  });
});

describe('defect 4: _changes filters answer and never crash the server', () => {
  async function seeded() {
    const ctx = await newDb('flt');
    await ctx.db.bulk({
      docs: [
        { _id: 'n1', type: 'number', country: 'us' },
        { _id: 'n2', type: 'number', country: 'gb' },
        { _id: 'o1', type: 'other' },
        {
          _id: '_design/app',
          filters: {
            numbers: 'function (doc, req) { return doc.type === "number" && (!req.query.country || doc.country === req.query.country); }',
            broken: 'function (doc) { return doc.type === ', // syntax error
            notfn: '42',
            throws: 'function (doc) { if (doc._id === "n1") throw new Error("boom"); return doc.type === "number"; }',
          },
          views: { others: { map: 'function (doc) { if (doc.type === "other") emit(doc._id); }' } },
        },
      ],
    });
    return ctx;
  }

  it('filters by _selector in a POST body (normal feed)', async () => {
    const { name } = await seeded();
    const r = await raw(couch.url, `/${name}/_changes?filter=_selector&include_docs=true`, {
      method: 'POST',
      json: { selector: { type: 'number' } },
    });
    expect(r.status).toBe(200);
    expect((r.body as ChangesBody).results.map((c) => c.id)).toEqual(['n1', 'n2']);
  });

  it('serves nano changesReader with a selector (get and spool)', { timeout: 20_000 }, async () => {
    const { db } = await seeded();
    const collect = (ee: NodeJS.EventEmitter) =>
      new Promise<string[]>((resolve, reject) => {
        const ids: string[] = [];
        ee.on('batch', (batch: Array<{ id: string }>) => ids.push(...batch.map((c) => c.id)));
        ee.on('error', reject);
        ee.on('end', () => resolve(ids));
      });
    expect(await collect(db.changesReader.get({ since: 0, selector: { country: 'gb' }, timeout: 1000 }))).toEqual(['n2']);
    expect(await collect(db.changesReader.spool({ since: 0, selector: { type: 'number' } }))).toEqual(['n1', 'n2']);
  });

  it('longpoll with _selector waits for a matching change only', { timeout: 20_000 }, async () => {
    const { name, db } = await seeded();
    const since = await updateSeq(name);
    const poll = raw(couch.url, `/${name}/_changes?feed=longpoll&filter=_selector&since=${since}&timeout=30000`, {
      method: 'POST',
      json: { selector: { type: 'number' } },
    });
    await new Promise((r) => setTimeout(r, 150));
    await db.insert({ _id: 'o2', type: 'other' }); // filtered out: the poll keeps waiting
    await new Promise((r) => setTimeout(r, 150));
    await db.insert({ _id: 'n3', type: 'number' });
    const r = await poll;
    expect((r.body as ChangesBody).results.map((c) => c.id)).toEqual(['n3']);
    expect((r.body as ChangesBody).last_seq).toBe(since + 2);
  });

  it('answers bad filter requests with JSON errors and stays up', async () => {
    const { name } = await seeded();
    const cases: Array<[string, RequestInit & { json?: unknown }, number, string]> = [
      ['filter=_selector', { method: 'POST', json: {} }, 400, 'bad_request'],
      ['filter=_selector', { method: 'POST', json: { selector: [1] } }, 400, 'bad_request'],
      ['filter=_selector&feed=continuous', { method: 'POST', json: { selector: 'x' } }, 400, 'bad_request'],
      ['filter=_selector', { method: 'POST', body: '{not json', headers: { 'Content-Type': 'application/json' } }, 400, 'bad_request'],
      // A syntax error in a design filter was an uncaught exception in PouchDB: the process died.
      // Design filters are not run at all now (issue 15: they could reach Node's `process`).
      ['filter=app/broken', {}, 400, 'unknown_query_language'],
      ['filter=app/broken&feed=longpoll', {}, 400, 'unknown_query_language'],
      ['filter=app/broken&feed=continuous', {}, 400, 'unknown_query_language'],
      ['filter=app/notfn', {}, 400, 'unknown_query_language'],
      ['filter=app/missing', {}, 400, 'unknown_query_language'],
      ['filter=nodoc/numbers', {}, 400, 'unknown_query_language'],
      ['filter=nonsense', {}, 400, 'unknown_query_language'],
      ['filter=_view', {}, 400, 'unknown_query_language'],
      ['filter=_selector', { method: 'POST', json: { selector: { _id: { $regex: '^(a+)+$' } } } }, 400, 'bad_request'],
      ['filter=_doc_ids', { method: 'POST', json: { doc_ids: 'n1' } }, 400, 'bad_request'],
      ['feed=eventsource', {}, 400, 'bad_request'],
      ['since=garbage', {}, 400, 'bad_request'],
      ['limit=-1', {}, 400, 'bad_request'],
    ];
    for (const [qs, init, status, error] of cases) {
      const r = await raw(couch.url, `/${name}/_changes?${qs}`, init);
      expect({ qs, status: r.status, error: (r.body as { error?: string } | undefined)?.error }).toEqual({ qs, status, error });
      await alive();
    }
  });

  it('runs the built-in filters, never design-document or _view filters (JavaScript)', async () => {
    const { name } = await seeded();
    const ids = async (qs: string, init: RequestInit & { json?: unknown } = {}) =>
      ((await raw(couch.url, `/${name}/_changes?${qs}`, init)).body as ChangesBody).results.map((c) => c.id);
    for (const qs of ['filter=app/numbers', 'filter=app/numbers&country=us', 'filter=app/throws', 'filter=_view&view=app/others']) {
      const r = await raw(couch.url, `/${name}/_changes?${qs}`);
      expect({ qs, status: r.status, error: (r.body as { error?: string }).error }).toEqual({ qs, status: 400, error: 'unknown_query_language' });
    }
    expect(await ids('filter=_design')).toEqual(['_design/app']);
    expect(await ids('filter=_doc_ids', { method: 'POST', json: { doc_ids: ['o1', 'n2'] } })).toEqual(['n2', 'o1']);
    expect(await ids(`filter=_doc_ids&doc_ids=${encodeURIComponent('["n1"]')}`)).toEqual(['n1']);
    await alive();
  });
});

describe('defect 5/6: _db_updates', () => {
  it('reports created, updated and deleted with opaque string seqs; _local writes do not count', async () => {
    const since = await dbUpdatesNow();
    expect(since).toMatch(/^\d+-\S+$/);
    const name = uniqueName('dbu');
    await server.db.create(name);
    const db = server.db.use<Doc>(name);
    await db.insert({ _id: 'a' });
    await db.bulk({ docs: [{ _id: 'b' }, { _id: 'c' }] });
    const afterWrites = await dbUpdatesNow();
    await db.insert({ _id: '_local/checkpoint', seq: 1 });
    const r = await raw(couch.url, `/_db_updates?since=${encodeURIComponent(afterWrites)}`);
    expect((r.body as DbUpdatesBody).results.filter((e) => e.db_name === name)).toEqual([]);
    await server.db.destroy(name);

    const all = (await raw(couch.url, `/_db_updates?since=${encodeURIComponent(since)}`)).body as DbUpdatesBody;
    const mine = all.results.filter((e) => e.db_name === name);
    // Repeated 'updated' events of one database coalesce into one entry, as in CouchDB.
    expect(mine.map((e) => e.type)).toEqual(['created', 'updated', 'deleted']);
    for (const e of mine) expect(e.seq).toMatch(/^\d+-\S+$/);
    expect(typeof all.last_seq).toBe('string');
    expect(all.last_seq).toBe(mine[2]!.seq);
  });

  it('longpoll returns an empty result after its timeout', async () => {
    const started = Date.now();
    const r = await raw(couch.url, '/_db_updates?feed=longpoll&since=now&timeout=500');
    const elapsed = Date.now() - started;
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ results: [], last_seq: expect.stringMatching(/^\d+-/) });
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('longpoll wakes up on the next event (nano updates())', { timeout: 20_000 }, async () => {
    const since = await dbUpdatesNow();
    const poll = server.updates({ feed: 'longpoll', since, timeout: 60_000, heartbeat: false });
    await new Promise((r) => setTimeout(r, 150));
    const name = uniqueName('dbu');
    await server.db.create(name);
    const res = (await poll) as unknown as DbUpdatesBody;
    expect(res.results).toEqual([{ db_name: name, type: 'created', seq: res.last_seq }]);
  });

  it('sees replicated writes (new_edits=false) as updates', async () => {
    const { name, db } = await newDb('dbu');
    const since = await dbUpdatesNow();
    await db.bulk({ docs: [{ _id: 'r', _rev: '3-abc', v: 1 }], new_edits: false });
    expect(await db.get('r')).toMatchObject({ _rev: '3-abc' });
    const r = (await raw(couch.url, `/_db_updates?since=${encodeURIComponent(since)}`)).body as DbUpdatesBody;
    expect(r.results.filter((e) => e.db_name === name).map((e) => e.type)).toEqual(['updated']);
  });

  it('continuous feed streams events and closes with last_seq at the timeout', { timeout: 20_000 }, async () => {
    const since = await dbUpdatesNow();
    const res = await fetchWithCredentials(`${couch.url}/_db_updates?feed=continuous&timeout=1500&since=${encodeURIComponent(since)}`);
    const lines = jsonLines(res);
    const a = uniqueName('dbu');
    await server.db.create(a);
    expect((await lines.next()).value).toMatchObject({ db_name: a, type: 'created' });
    await server.db.use(a).insert({ _id: 'x' });
    expect((await lines.next()).value).toMatchObject({ db_name: a, type: 'updated' });
    const rest: Array<Record<string, unknown>> = [];
    for await (const line of lines) rest.push(line);
    expect(rest.at(-1)).toMatchObject({ last_seq: expect.stringMatching(/^\d+-/) });
  });

  it('replays everything retained for a since from another server run; rejects malformed since', async () => {
    const name = uniqueName('dbu');
    await server.db.create(name);
    const foreign = (await raw(couch.url, '/_db_updates?since=999999-notthisrun')).body as DbUpdatesBody;
    expect(foreign.results.some((e) => e.db_name === name && e.type === 'created')).toBe(true);
    const zero = (await raw(couch.url, '/_db_updates?since=0')).body as DbUpdatesBody;
    expect(zero.results.some((e) => e.db_name === name)).toBe(true);
    const bad = await raw(couch.url, '/_db_updates?since=garbage');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'bad_request' });
  });

  it('keeps _changes seqs as integers (documented difference)', async () => {
    const { db } = await newDb('seq');
    await db.insert({ _id: 'a' });
    const c = await db.changes();
    expect(c.results[0]!.seq).toBe(1);
    expect(c.last_seq).toBe(1);
  });
});

describe('defect 7: _all_dbs ranges over slash names', () => {
  it('honours startkey/endkey, limit, skip and descending', async () => {
    const p = uniqueName('range');
    const slash = [`${p}/+1`, `${p}/+2`, `${p}/+3`];
    for (const n of [...slash, `${p}x`, p, `${p}-a`]) await server.db.create(n);
    const list = async (qs: Record<string, unknown>) => (await server.request({ path: '_all_dbs', qs })) as unknown as string[];
    const range = { startkey: `${p}/`, endkey: `${p}/\ufff0` };
    expect(await list(range)).toEqual(slash);
    expect(await list({ ...range, limit: 2 })).toEqual(slash.slice(0, 2));
    expect(await list({ ...range, skip: 1 })).toEqual(slash.slice(1));
    expect(await list({ ...range, skip: 1, limit: 1 })).toEqual([slash[1]]);
    expect(await list({ startkey: `${p}/\ufff0`, endkey: `${p}/`, descending: true })).toEqual([...slash].reverse());
    expect(await list({ start_key: `${p}/+2`, end_key: `${p}/\ufff0` })).toEqual(slash.slice(1));
    expect(await list({ startkey: `${p}/+2`, endkey: `${p}/+3`, inclusive_end: false })).toEqual([slash[1]]);

    // The same query written by hand, as a shell user would.
    const r = await raw(couch.url, `/_all_dbs?startkey=${encodeURIComponent(`"${p}/"`)}&endkey=${encodeURIComponent(`"${p}/\ufff0"`)}`);
    expect(r.body).toEqual(slash);

    const all = await server.db.list();
    expect([...all].sort()).toEqual(all); // sorted, as CouchDB returns them
    expect((await raw(couch.url, '/_all_dbs?startkey=notjson')).status).toBe(400);
  });
});

describe('defect 9: CouchDB semantics', () => {
  it('answers 409 for a stale _rev, on PUT and DELETE', async () => {
    const { db } = await newDb('crud');
    const first = await db.insert({ _id: 'doc', v: 1 });
    await db.insert({ _id: 'doc', _rev: first.rev, v: 2 });
    expect(await nanoError(db.insert({ _id: 'doc', _rev: first.rev, v: 3 }))).toMatchObject({ statusCode: 409, error: 'conflict' });
    expect(await nanoError(db.destroy('doc', first.rev))).toMatchObject({ statusCode: 409, error: 'conflict' });
    expect(await nanoError(db.insert({ _id: 'doc', v: 4 }))).toMatchObject({ statusCode: 409 });
  });

  it('reports per-document errors from _bulk_docs', async () => {
    const { db } = await newDb('crud');
    const a = await db.insert({ _id: 'a' });
    await db.insert({ _id: 'a', _rev: a.rev, v: 2 });
    const res = await db.bulk({ docs: [{ _id: 'a', _rev: a.rev }, { _id: 'b' }, { _id: 'a' }] });
    expect(res[0]).toMatchObject({ id: 'a', error: 'conflict' });
    expect(res[1]).toMatchObject({ id: 'b', ok: true });
    expect(res[2]).toMatchObject({ id: 'a', error: 'conflict' });
  });

  it('serves POST _all_docs with keys and include_docs, including deleted and missing keys', async () => {
    const { db } = await newDb('crud');
    await db.insert({ _id: 'a', v: 1 });
    const b = await db.insert({ _id: 'b', v: 2 });
    await db.destroy('b', b.rev);
    const res = await db.fetch({ keys: ['a', 'b', 'missing'] });
    const rows = res.rows as unknown as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ id: 'a', key: 'a', doc: { _id: 'a', v: 1 } });
    expect(rows[1]).toMatchObject({ id: 'b', key: 'b', value: { deleted: true }, doc: null });
    expect(rows[2]).toMatchObject({ key: 'missing', error: 'not_found' });
  });

  it('serves normal _changes with since, limit, include_docs and deletions', async () => {
    const { name, db } = await newDb('crud');
    const docs = await db.bulk({ docs: ['a', 'b', 'c', 'd'].map((id) => ({ _id: id, n: id })) });
    await db.destroy('b', docs[1]!.rev!);
    const page1 = (await db.changes({ since: 0, limit: 2, include_docs: true })) as unknown as ChangesBody;
    expect(page1.results.map((r) => r.id)).toEqual(['a', 'c']);
    expect(page1.results[0]!.doc).toMatchObject({ _id: 'a', n: 'a' });
    expect(page1.pending).toBeGreaterThan(0);
    const page2 = (await db.changes({ since: page1.last_seq as number, include_docs: true })) as unknown as ChangesBody;
    expect(page2.results.map((r) => r.id)).toEqual(['d', 'b']);
    expect(page2.results[1]).toMatchObject({ id: 'b', deleted: true, doc: { _id: 'b', _deleted: true } });
    expect(page2.last_seq).toBe(5);
    expect(page2.pending).toBe(0);
    const none = (await db.changes({ since: 5 })) as unknown as ChangesBody;
    expect(none).toMatchObject({ results: [], last_seq: 5, pending: 0 });
    const now = await raw(couch.url, `/${name}/_changes?since=now`);
    expect(now.body).toMatchObject({ results: [], last_seq: 5 });
    const desc = (await db.changes({ descending: true, limit: 1 })) as unknown as ChangesBody;
    expect(desc.results.map((r) => r.id)).toEqual(['b']);
  });

  it('reports database info, 412 on re-create, 404 JSON for missing databases and documents', async () => {
    const { name, db } = await newDb('crud');
    await db.bulk({ docs: [{ _id: 'a' }, { _id: 'b' }] });
    expect(await server.db.get(name)).toMatchObject({ db_name: name, doc_count: 2, update_seq: 2 });
    expect(await nanoError(server.db.create(name))).toMatchObject({ statusCode: 412, error: 'file_exists' });
    expect(await nanoError(db.get('missing'))).toMatchObject({ statusCode: 404, error: 'not_found' });

    await server.db.destroy(name);
    const missing = await raw(couch.url, `/${name}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', reason: 'Database does not exist.' });
    expect((await raw(couch.url, `/${name}/a`)).body).toEqual({ error: 'not_found', reason: 'Database does not exist.' });
    expect((await raw(couch.url, `/${name}/_changes`)).status).toBe(404);
    // Stock express-pouchdb answered 200 to deleting a database that does not exist.
    expect(await nanoError(server.db.destroy(name))).toMatchObject({ statusCode: 404, error: 'not_found' });
    expect((await raw(couch.url, `/${name}?rev=1-x`, { method: 'DELETE' })).status).toBe(400);
  });

  it('rejects illegal database names', async () => {
    for (const bad of ['Upper', '1digit', '_private', 'sp ace', 'dot.name']) {
      const r = await raw(couch.url, `/${encodeURIComponent(bad)}`, { method: 'PUT' });
      expect({ bad, status: r.status, error: (r.body as { error?: string }).error }).toEqual({ bad, status: 400, error: 'illegal_database_name' });
    }
    expect(await server.db.list()).not.toContain('Upper');
  });

  it('says clearly that Mango (_find/_index) is not supported', async () => {
    const { name } = await newDb('crud');
    const r = await raw(couch.url, `/${name}/_find`, { method: 'POST', json: { selector: {} } });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'bad_request', reason: expect.stringMatching(/not supported/) });
  });

  it('parses a document PUT as JSON whatever its Content-Type, like CouchDB', async () => {
    const { name, db } = await newDb('crud');
    const r = await raw(couch.url, `/${name}/plain`, { method: 'PUT', body: '{"v":42}', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(201);
    expect(await db.get('plain')).toMatchObject({ v: 42 });
  });
});

describe('connections and load', () => {
  it('serves many concurrent requests over a small keep-alive pool', { timeout: 60_000 }, async () => {
    const { name } = await newDb('load');
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    const ports = new Set<number>();
    const call = (method: string, path: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${couch.url}${path}`, { method, agent, headers: { 'Content-Type': 'application/json' } }, (res) => {
          if (res.socket.localPort) ports.add(res.socket.localPort);
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const puts = await Promise.all(Array.from({ length: 400 }, (_, i) => call('PUT', `/${name}/doc${i}`, JSON.stringify({ i }))));
      expect(puts.every((s) => s === 201)).toBe(true);
      const gets = await Promise.all(Array.from({ length: 400 }, (_, i) => call('GET', `/${name}/doc${i}`)));
      expect(gets.every((s) => s === 200)).toBe(true);
      expect(ports.size).toBeLessThanOrEqual(8); // connections were reused, not one per request
    } finally {
      agent.destroy();
    }
    // nano (undici's pooled fetch) hammering the same server.
    const db = server.db.use<Doc>(name);
    const docs = await Promise.all(Array.from({ length: 200 }, (_, i) => db.get(`doc${i}`)));
    expect(docs.map((d) => d.i)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await server.db.get(name)).doc_count).toBe(400);
  });

  it('survives clients that abandon feeds mid-way', { timeout: 30_000 }, async () => {
    const { name, db } = await newDb('load');
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const abort = new AbortController();
          const feed = i % 2 === 0 ? 'continuous' : 'longpoll';
          const res = await fetchWithCredentials(`${couch.url}/${name}/_changes?feed=${feed}&since=now&heartbeat=50`, { signal: abort.signal });
          await res.body?.getReader().read();
          abort.abort();
        }),
      );
    }
    await db.insert({ _id: 'after' });
    expect((await db.changes()).results.map((r) => r.id)).toEqual(['after']);
    await alive();
  });
});
