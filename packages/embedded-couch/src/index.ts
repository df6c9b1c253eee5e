// The package's entry point: start the server as a child process (startEmbeddedCouch) or in
// this process (runEmbeddedCouch), plus the credential and request helpers its users share.
// Importing it loads neither PouchDB nor express: the server is loaded when it starts.
export {
  startEmbeddedCouch,
  runEmbeddedCouch,
  type EmbeddedCouch,
  type EmbeddedCouchOptions,
  type RunningEmbeddedCouch,
  type InProcessCouchOptions,
} from './launcher.js';
export { randomAdmin, type AdminCredentials } from './auth.js';
export { chooseAdmin } from './admin-source.js';
export { COUCHDB3_FIDELITY, type FidelityOptions } from './fidelity.js';
export { basicAuthMatches, type Credentials } from './basic-auth.js';
export { basicAuthHeader, withoutCredentials } from './url-credentials.js';
export { isAllowedHost } from './request-guard.js';
export { ensurePrivateDir } from './private-dir.js';
