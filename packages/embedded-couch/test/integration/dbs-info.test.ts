import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DBS_INFO_KEYS } from '../../src/dbs-info.js';
import { COUCHDB3_FIDELITY } from '../../src/fidelity.js';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';
import { basicAuthHeader } from '../../src/url-credentials.js';
import { raw, uniqueName } from '../helpers.js';

/** POST /_dbs_info as CouchDB 3 answers it (chttpd_misc:handle_dbs_info_req). */
describe('embedded server: _dbs_info', () => {
  let couch: EmbeddedCouch;
  let auth: Record<string, string>;
  const a = `${uniqueName('dbsinfo')}/a`;
  const b = `${uniqueName('dbsinfo')}/b`;
  const post = (json: unknown, headers = auth) => raw(couch.baseUrl, '/_dbs_info', { method: 'POST', headers, json });

  beforeAll(async () => {
    couch = await startEmbeddedCouch({ fidelity: COUCHDB3_FIDELITY });
    auth = basicAuthHeader(couch.url);
    for (const db of [a, b]) expect((await raw(couch.baseUrl, `/${encodeURIComponent(db)}`, { method: 'PUT', headers: auth })).status).toBe(201);
    expect((await raw(couch.baseUrl, `/${encodeURIComponent(a)}/x`, { method: 'PUT', headers: auth, json: { n: 1 } })).status).toBe(201);
  });

  afterAll(async () => {
    await couch?.stop();
  });

  it('answers one row per key, in order: the info of each database, not_found for a missing one', async () => {
    const res = await post({ keys: [b, 'missing/db', a] });
    expect(res.status).toBe(200);
    const rows = res.body as Array<{ key: string; info?: Record<string, unknown>; error?: string }>;
    expect(rows.map((r) => r.key)).toEqual([b, 'missing/db', a]);
    expect(rows[1]).toEqual({ key: 'missing/db', error: 'not_found' });
    const single = (await raw(couch.baseUrl, `/${encodeURIComponent(a)}`, { headers: auth })).body as Record<string, unknown>;
    expect(rows[2]!.info).toEqual(single);
    expect(rows[2]!.info).toMatchObject({ db_name: a, doc_count: 1 });
    expect(rows[0]!.info!.update_seq).not.toEqual(rows[2]!.info!.update_seq);
  });

  it('refuses what CouchDB refuses: no keys, keys not a list, more than 100 keys, anonymous callers', async () => {
    expect(await post({})).toMatchObject({ status: 400, body: { error: 'bad_request', reason: '`keys` member must exist.' } });
    expect(await post({ keys: 'a' })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    const many = Array.from({ length: MAX_DBS_INFO_KEYS + 1 }, (_, i) => `db${i}`);
    expect(await post({ keys: many })).toMatchObject({ status: 400, body: { error: 'bad_request', reason: 'too_many_keys' } });
    expect((await post({ keys: many.slice(1) })).status).toBe(200);
    expect(await post({ keys: [a] }, {})).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
  });

  it('lists every database on GET with the _all_dbs range parameters', async () => {
    const res = await raw(couch.baseUrl, `/_dbs_info?startkey=${encodeURIComponent(JSON.stringify(a))}&endkey=${encodeURIComponent(JSON.stringify(a))}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect((res.body as Array<{ key: string }>).map((r) => r.key)).toEqual([a]);
  });
});
