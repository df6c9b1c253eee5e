import type { TestProject } from 'vitest/node';
import ensureBuilt from './ensure-build.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared CouchDB-protocol server, with admin credentials. */
    couchUrl: string;
    /** True when COUCHDB_URL pointed the suite at an external server. */
    externalCouch: boolean;
    redisUrl: string;
  }
}

/**
 * Starts one embedded CouchDB-compatible server (in CouchDB 3 fidelity mode, admin required)
 * and one private redis-server for the whole run, unless COUCHDB_URL / REDIS_URL point at
 * existing ones (e.g. Apache CouchDB 3.x: `npm run test:couchdb3`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensureBuilt();
  // Imported once built: the harness loads the embedded server package from its dist/.
  const { startTestCouch } = await import('./test-couch.js');
  const { startEmbeddedRedis } = await import('../../src/embedded/embedded-redis.js');
  const stops: Array<() => Promise<void>> = [];
  const couchUrl = process.env.COUCHDB_URL || (await startShared(startTestCouch(), stops));
  const redisUrl = process.env.REDIS_URL || (await startShared(startEmbeddedRedis({}), stops));
  project.provide('couchUrl', couchUrl);
  project.provide('externalCouch', Boolean(process.env.COUCHDB_URL));
  project.provide('redisUrl', redisUrl);
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

async function startShared(starting: Promise<{ url: string; stop(): Promise<void> }>, stops: Array<() => Promise<void>>): Promise<string> {
  const server = await starting;
  stops.push(() => server.stop());
  return server.url;
}
