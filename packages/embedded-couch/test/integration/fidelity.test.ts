import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomAdmin } from '../../src/auth.js';
import { COUCHDB3_FIDELITY } from '../../src/fidelity.js';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';
import { basicAuthHeader } from '../../src/url-credentials.js';
import { raw } from '../helpers.js';

const OPAQUE = /^\d+-g1AAAA[A-Za-z0-9_-]{40,}$/;

interface ChangesBody {
  results: Array<{ id: string; seq: string }>;
  last_seq: string;
  pending: number;
}

/** The embedded server as the test harness and the bench run it: like CouchDB 3 out of the box. */
describe('embedded server in CouchDB 3 fidelity mode', () => {
  let couch: EmbeddedCouch;
  let dataDir = '';
  const admin = randomAdmin();
  // On disk, same admin on every start: a restart keeps the data.
  const start = (port = 0) => startEmbeddedCouch({ port, dataDir: join(dataDir, 'couch'), admin, fidelity: COUCHDB3_FIDELITY });
  let auth: Record<string, string>;
  const db = 'fidelity%2Fdb';

  const get = (path: string, headers = auth) => raw(couch.baseUrl, path, { headers });

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nsync-fidelity-'));
    couch = await start();
    auth = basicAuthHeader(couch.url);
    expect((await raw(couch.baseUrl, `/${db}`, { method: 'PUT', headers: auth })).status).toBe(201);
    for (const id of ['a', 'b', 'c']) expect((await raw(couch.baseUrl, `/${db}/${id}`, { method: 'PUT', headers: auth, json: { n: id } })).status).toBe(201);
  });

  afterAll(async () => {
    await couch?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('requires the admin: anonymous _all_dbs and _db_updates are 401, /_up and / are open', async () => {
    expect((await get('/_all_dbs', {})).status).toBe(401);
    expect(await get('/_db_updates', {})).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    expect(await get('/_up', {})).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await get('/', {})).status).toBe(200);
  });

  it('spells seqs, last_seq and update_seq as CouchDB 3 opaque strings, and takes each back as since', async () => {
    const all = (await get(`/${db}/_changes`)).body as ChangesBody;
    expect(all.results.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    for (const r of all.results) expect(r.seq).toMatch(OPAQUE);
    expect(all.last_seq).toMatch(OPAQUE);
    const info = (await get(`/${db}`)).body as { update_seq: string; purge_seq: string };
    expect(info.update_seq).toMatch(OPAQUE);
    expect(info.update_seq).toBe(all.last_seq);
    expect(info.purge_seq).toMatch(/^0-g1AAAA/);
    for (const [i, r] of all.results.entries()) {
      const after = (await get(`/${db}/_changes?since=${encodeURIComponent(r.seq)}`)).body as ChangesBody;
      expect(after.results.map((x) => x.id)).toEqual(['a', 'b', 'c'].slice(i + 1));
    }
    expect(((await get(`/${db}/_changes?since=0`)).body as ChangesBody).results).toHaveLength(3);
    expect((await get(`/${db}/_changes?since=now`)).body).toMatchObject({ results: [], last_seq: all.last_seq });
    expect(await get(`/${db}/_changes?since=2`)).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect((await get(`/${db}/_changes?since=3-g1AAAAjunk`)).status).toBe(400);
  });

  it('_db_updates has opaque seqs of its own', async () => {
    // Longpoll: the creation above is published with the next batch (up to 500 ms later).
    const page = (await get('/_db_updates?feed=longpoll&since=0&timeout=10000')).body as { results: Array<{ db_name: string; seq: string }>; last_seq: string };
    expect(page.results.map((e) => e.db_name)).toContain('fidelity/db');
    for (const e of page.results) expect(e.seq).toMatch(OPAQUE);
    expect(page.last_seq).toMatch(OPAQUE);
  });

  it('after a restart spells positions anew and still takes every seq it issued before', async () => {
    const before = (await get(`/${db}/_changes`)).body as ChangesBody;
    const updatesBefore = (await get('/_db_updates')).body as { last_seq: string };
    const port = couch.port;
    await couch.stop();
    couch = await start(port);
    const after = (await get(`/${db}/_changes`)).body as ChangesBody;
    expect(after.results.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(after.last_seq).not.toBe(before.last_seq);
    expect(after.last_seq.split('-')[0]).toBe(before.last_seq.split('-')[0]);
    const fromOld = (await get(`/${db}/_changes?since=${encodeURIComponent(before.results[0]!.seq)}`)).body as ChangesBody;
    expect(fromOld.results.map((r) => r.id)).toEqual(['b', 'c']);
    // _db_updates is in memory: a seq of the earlier run replays what this run has, never fails.
    expect((await get(`/_db_updates?since=${encodeURIComponent(updatesBefore.last_seq)}`)).status).toBe(200);
  });
});
