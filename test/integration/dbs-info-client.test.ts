import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuthHeader } from '@kazoo-numbers-sync/embedded-couch';
import { CouchClient } from '../../src/couch/couch-client.js';
import { readDbStates } from '../../src/follower/db-states.js';
import { freshName } from '../harness/ids.js';
import { startTestCouch, type TestCouch } from '../harness/test-couch.js';

/** The listener reads many databases' states by POST /_dbs_info, in batches (src/follower/db-states.ts). */
describe('_dbs_info states read by the follower', () => {
  let couch: TestCouch;
  const base = freshName('dbsinfo');
  const a = `${base}/a`;
  const b = `${base}/b`;

  beforeAll(async () => {
    couch = await startTestCouch();
    const auth = basicAuthHeader(couch.url);
    for (const db of [a, b]) expect((await fetch(`${couch.baseUrl}/${encodeURIComponent(db)}`, { method: 'PUT', headers: auth })).status).toBe(201);
  });

  afterAll(async () => {
    await couch?.stop();
  });

  it('is read in batches by the listener, states keyed by name', async () => {
    const client = new CouchClient({ url: couch.url });
    const names = [a, b, 'missing/db'];
    const states = await readDbStates(client, names, undefined, 2);
    expect(states?.get('missing/db')).toBe('not_found');
    expect(states?.get(a)).toMatchObject({ updateSeq: expect.any(String), purgeSeq: expect.any(String) });
    expect([...states!.keys()].sort()).toEqual([...names].sort());
  });
});
