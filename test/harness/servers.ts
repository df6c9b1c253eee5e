import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startEmbeddedCouch } from '../../src/couch/embedded/launcher.js';
import { CouchFixture } from './numbers.js';

export interface CouchHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * A CouchDB of this test file's own: tests that run the daemon follow *every* numbers
 * database, so they must not see another file's. With COUCHDB_URL set, the external server
 * is shared (run such suites with --maxWorkers=1).
 */
export async function privateCouch(opts: { dataDir?: string } = {}): Promise<CouchHandle> {
  if (inject('externalCouch')) return { url: inject('couchUrl'), stop: async () => undefined };
  return startEmbeddedCouch({ dataDir: opts.dataDir });
}

/** privateCouch() with these account and numbers databases created, and a fixture on it. */
export async function privateCouchWith(dbs: { accounts?: readonly string[]; numbersDbs?: readonly string[] }): Promise<{ couch: CouchHandle; fx: CouchFixture }> {
  const couch = await privateCouch();
  const fx = new CouchFixture(couch.url);
  for (const account of dbs.accounts ?? []) await fx.createAccountDb(account);
  for (const db of dbs.numbersDbs ?? []) await fx.createDb(db);
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
