import { type AdminCredentials, COUCHDB3_FIDELITY, type EmbeddedCouch, type FidelityOptions, startEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';

export { randomAdmin } from '@kazoo-numbers-sync/embedded-couch';

/** The launcher's handle: `url` with the admin credentials, `baseUrl` without, `admin`. */
export type TestCouch = EmbeddedCouch;

export interface TestCouchOptions {
  dataDir?: string;
  port?: number;
  /** Same admin across restarts of one server (DiskCouch); random otherwise. */
  admin?: AdminCredentials;
  /** Default: CouchDB 3 fidelity (opaque seqs, _db_updates in 500 ms batches). */
  fidelity?: FidelityOptions;
}

/** The embedded server as tests run it: like CouchDB 3 out of the box, admin required. */
export function startTestCouch(opts: TestCouchOptions = {}): Promise<TestCouch> {
  return startEmbeddedCouch({ ...opts, fidelity: opts.fidelity ?? COUCHDB3_FIDELITY });
}
