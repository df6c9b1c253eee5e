import { startEmbeddedCouch, type EmbeddedCouch } from '../../src/couch/embedded/launcher.js';
import type { AdminCredentials } from '../../src/couch/embedded/auth.js';
import { COUCHDB3_FIDELITY, type FidelityOptions } from '../../src/couch/embedded/fidelity.js';

export { randomAdmin } from '../../src/couch/embedded/auth.js';

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
