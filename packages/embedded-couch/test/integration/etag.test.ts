import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '../../src/url-credentials.js';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/launcher.js';

/** CouchDB 3 answers GET/HEAD of a doc with `ETag: "<winning rev>"`, except when the reply carries meta such as _conflicts. */
describe('embedded server: document ETags', () => {
  let couch: EmbeddedCouch;
  const db = encodeURIComponent('account/e7/a9/00000000000000000000000000');

  beforeAll(async () => {
    couch = await startEmbeddedCouch({});
  });

  afterAll(async () => {
    await couch?.stop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${couch.baseUrl}/${db}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...basicAuthHeader(couch.url) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('sends the winning rev, and none with ?conflicts=true while the doc has conflicts', async () => {
    await call('PUT', '');
    const { rev } = (await (await call('PUT', '/doc', { a: 1 })).json()) as { rev: string };
    expect((await call('HEAD', '/doc')).headers.get('etag')).toBe(`"${rev}"`);
    expect((await call('HEAD', '/doc?conflicts=true')).headers.get('etag')).toBe(`"${rev}"`);
    expect((await call('GET', '/doc')).headers.get('etag')).toBe(`"${rev}"`);
    expect((await call('HEAD', '/missing')).status).toBe(404);

    const winner = '2-ffffffffffffffffffffffffffffffff';
    await call('POST', '/_bulk_docs', { new_edits: false, docs: [{ _id: 'doc', _rev: winner, b: 2 }] });
    expect((await call('HEAD', '/doc')).headers.get('etag')).toBe(`"${winner}"`);
    expect((await call('HEAD', '/doc?conflicts=true')).headers.get('etag')).toBeNull();
    const withConflicts = await call('GET', '/doc?conflicts=true');
    expect(withConflicts.headers.get('etag')).toBeNull();
    expect(((await withConflicts.json()) as { _conflicts?: string[] })._conflicts).toEqual([rev]);
  });
});
