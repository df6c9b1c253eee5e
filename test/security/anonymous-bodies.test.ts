// Review of issue 15: what an anonymous client can make the embedded server read. `_session`
// is the only route that reads a body before authentication (the login itself); it took the
// general 64 MB limit, so any local user, knowing nothing, made the server parse 64 MB of JSON
// per request (4 concurrent 60 MB bodies of `[{},{},...]`: peak RSS 4.1 GB, 2.4 GB after).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedCouch, type EmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { anonUrl, send } from './couch-access.js';

const KB = 1024;
let couch: EmbeddedCouch;
let base: string;

beforeAll(async () => {
  couch = await startEmbeddedCouch({});
  base = anonUrl(couch);
});

afterAll(async () => {
  await couch?.stop();
});

describe('anonymous request bodies', () => {
  it('a login body larger than 64 KB is refused (413) before it is parsed', async () => {
    const json = { 'content-type': 'application/json' };
    const big = JSON.stringify({ name: 'admin', password: 'x'.repeat(256 * KB) });
    expect((await send(base, '/_session', { method: 'POST', headers: json, body: big })).status).toBe(413);
    // Streamed without a length, and as a form.
    expect((await send(base, '/_session', { method: 'POST', headers: json, chunkedBytes: 256 * KB })).status).toBe(413);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await send(base, '/_session', { method: 'POST', headers: form, body: `name=admin&password=${'x'.repeat(256 * KB)}` })).status).toBe(413);
  });

  it('a normal login still works, as JSON and as a form', async () => {
    const { username, password } = couch.admin;
    const r = await send(base, '/_session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: username, password }),
    });
    expect(r.status).toBe(200);
    const form = new URLSearchParams({ name: username, password }).toString();
    expect((await send(base, '/_session', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form })).status).toBe(200);
    expect(
      (await send(base, '/_session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"admin","password":"wrong"}' })).status,
    ).toBe(401);
  });

  it('other routes answer 401 to an anonymous body without reading it', async () => {
    const r = await send(base, '/_bulk_docs', { method: 'POST', headers: { 'content-type': 'application/json' }, chunkedBytes: 256 * KB });
    expect(r.status).toBe(401);
  });
});
