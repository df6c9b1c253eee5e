import diagnostics from 'node:diagnostics_channel';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CouchClient } from '../../src/couch/couch-client.js';
import { CouchError } from '../../src/couch/couch-error.js';
import { accountDbName } from '../../src/rules/index.js';
import { freshAccountId } from '../harness/ids.js';

/** headDoc: the ETag of a doc over a kept-alive connection (undici closes one after every HEAD). */
describe('CouchClient.headDoc', () => {
  const couch = new CouchClient({ url: inject('couchUrl') });
  const db = accountDbName(freshAccountId());
  let rev: string;
  let sockets = 0;
  const countSocket = () => void sockets++;

  beforeAll(async () => {
    await couch.request({ method: 'put', db });
    ({ rev } = await couch.putDoc(db, { _id: 'phone_numbers', a: 1 }));
    diagnostics.subscribe('net.client.socket', countSocket);
  });

  afterAll(async () => {
    diagnostics.unsubscribe('net.client.socket', countSocket);
    await couch.request({ method: 'delete', db }).catch(() => undefined);
  });

  it('answers the winning rev as ETag, and undefined for a missing doc or database', async () => {
    expect(await couch.headDoc(db, 'phone_numbers', { conflicts: true })).toEqual({ etag: `"${rev}"` });
    expect(await couch.headDoc(db, 'missing')).toBeUndefined();
    expect(await couch.headDoc(accountDbName(freshAccountId()), 'phone_numbers')).toBeUndefined();
  });

  it('reuses its connection from one HEAD to the next', async () => {
    await couch.headDoc(db, 'phone_numbers');
    const before = sockets;
    for (let i = 0; i < 20; i++) await couch.headDoc(db, i % 2 ? 'phone_numbers' : 'missing', { conflicts: true });
    expect(sockets - before).toBeLessThanOrEqual(1);
  });

  it('maps refused credentials to a fatal CouchError', async () => {
    const url = new URL(inject('couchUrl'));
    url.password = 'wrong-password';
    const err = await new CouchClient({ url: url.href }).headDoc(db, 'phone_numbers').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CouchError);
    expect((err as CouchError).fatal).toBe(true);
    expect((err as CouchError).message).not.toContain('wrong-password');
  });

  it('gives up at its deadline with a timeout error', async () => {
    const aborted = AbortSignal.abort();
    const err = await couch.headDoc(db, 'phone_numbers', { signal: aborted }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CouchError);
    expect((err as CouchError).kind).toBe('timeout');
  });
});
