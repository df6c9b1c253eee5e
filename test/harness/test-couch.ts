import { randomBytes } from 'node:crypto';
import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/couch/embedded/launcher.js';
import type { AdminCredentials } from '../../src/couch/embedded/auth.js';
import { COUCHDB3_FIDELITY, type FidelityOptions } from '../../src/couch/embedded/fidelity.js';
import { withCredentials, withoutCredentials } from './urls.js';

export interface TestCouch extends EmbeddedCouch {
  /** With the admin credentials: what the daemon and the fixtures are given. */
  url: string;
  /** Without credentials. */
  baseUrl: string;
  admin: AdminCredentials;
}

export interface TestCouchOptions {
  dataDir?: string;
  port?: number;
  /** Same admin across restarts of one server (DiskCouch); random otherwise. */
  admin?: AdminCredentials;
  /** Default: CouchDB 3 fidelity (opaque seqs, _db_updates in 500 ms batches). */
  fidelity?: FidelityOptions;
}

export function randomAdmin(): AdminCredentials {
  return { username: 'admin', password: randomBytes(12).toString('hex') };
}

/**
 * The embedded server as tests run it: like CouchDB 3 out of the box, admin required (never
 * admin party), its URL carrying the credentials.
 */
export async function startTestCouch(opts: TestCouchOptions = {}): Promise<TestCouch> {
  const admin = opts.admin ?? randomAdmin();
  const couch = await startEmbeddedCouch({ dataDir: opts.dataDir, port: opts.port, admin, fidelity: opts.fidelity ?? COUCHDB3_FIDELITY });
  const baseUrl = withoutCredentials(couch.url);
  // Methods delegated explicitly: the launcher's handle may be a class instance.
  return { ...couch, port: couch.port, pid: couch.pid, stop: () => couch.stop(), kill: () => couch.kill(), url: withCredentials(baseUrl, admin), baseUrl, admin };
}
