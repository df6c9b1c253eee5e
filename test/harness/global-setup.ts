import type { TestProject } from 'vitest/node';
import { startEmbeddedCouch } from '../../src/couch/embedded/launcher.js';
import { startEmbeddedRedis } from '../../src/redis/embedded-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared CouchDB-protocol server (may carry credentials). */
    couchUrl: string;
    /** True when COUCHDB_URL pointed the suite at an external server. */
    externalCouch: boolean;
    redisUrl: string;
  }
}

/**
 * Starts one embedded CouchDB-compatible server and one private redis-server for the
 * whole run, unless COUCHDB_URL / REDIS_URL point at existing ones (e.g. Apache CouchDB 3.x).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];
  const couchUrl = process.env.COUCHDB_URL || (await startShared(startEmbeddedCouch({}), stops));
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
