import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { accountDbName } from '../../src/rules/index.js';
import { CouchFixture } from './numbers.js';
import { startTestCouch } from './test-couch.js';

export interface CouchHandle {
  /** With admin credentials. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A CouchDB of this test file's own: tests that run the daemon follow *every* numbers
 * database, so they must not see another file's. With COUCHDB_URL set, the external server
 * is shared (run such suites serially: `npm run test:couchdb3`), so such tests use their own
 * account ids, numbers and numbers databases (test/harness/ids.ts) and remove what they made.
 */
export async function privateCouch(opts: { dataDir?: string } = {}): Promise<CouchHandle> {
  if (isExternalCouch()) return { url: inject('couchUrl'), stop: async () => undefined };
  return startTestCouch({ dataDir: opts.dataDir });
}

/** True when the suite runs against COUCHDB_URL (a shared server that may hold anything). */
export function isExternalCouch(): boolean {
  return inject('externalCouch');
}

/**
 * privateCouch() with these account and numbers databases created, and a fixture on it.
 * Returns once _db_updates has reported them: CouchDB 3 publishes events in batches (up to
 * 500 ms later), and a daemon started before that would see them as new databases.
 */
export async function privateCouchWith(dbs: {
  accounts?: readonly string[];
  numbersDbs?: readonly string[];
}): Promise<{ couch: CouchHandle; fx: CouchFixture }> {
  const server = await privateCouch();
  const fx = new CouchFixture(server.url);
  await fx.createDbsReported([...(dbs.accounts ?? []).map(accountDbName), ...(dbs.numbersDbs ?? [])]);
  // On a shared server, stopping means removing every database the fixture created.
  const couch = isExternalCouch() ? { url: server.url, stop: () => fx.removeCreated() } : server;
  return { couch, fx };
}

export function sharedCouchUrl(): string {
  return inject('couchUrl');
}

export function redisUrl(): string {
  return inject('redisUrl');
}

/** A Redis key prefix no other test uses. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomBytes(4).toString('hex')}`;
}
