// The servers of one data set: a fresh embedded CouchDB-compatible server and a private
// redis-server (or COUCHDB_URL / REDIS_URL), so scenarios never see each other's databases.
import { randomBytes } from 'node:crypto';
import pMap from 'p-map';
import { CouchClient } from '../../src/couch/couch-client.js';
import { CouchError } from '../../src/couch/couch-error.js';
import { COUCHDB3_FIDELITY, startEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { startEmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { redactUrl } from '../../src/util/redact.js';
import type { CouchMode } from './options.js';

export interface WorldServers {
  /** External CouchDB; unset = a fresh in-memory embedded server per world. */
  couchUrl?: string;
  /** External Redis; unset = a private redis-server per world. */
  redisUrl?: string;
  /** Mode of the embedded server (default couchdb3); unused with couchUrl. */
  couchMode?: CouchMode;
}

export class World {
  readonly couch: CouchClient;
  /** Databases this world created (deleted on close when the server is shared). */
  private readonly created = new Set<string>();

  private constructor(
    readonly couchUrl: string,
    readonly redisUrl: string,
    /** Redis key prefix of the daemon in this world. */
    readonly prefix: string,
    /** True when Redis belongs to this world alone (INFO memory is then ours). */
    readonly privateRedis: boolean,
    /** Pid of the embedded CouchDB server, when we started it. */
    readonly couchPid: number | undefined,
    /** Pid of the private redis-server, when we started it. */
    readonly redisPid: number | undefined,
    private readonly stops: Array<() => Promise<void>>,
  ) {
    this.couch = new CouchClient({ url: couchUrl, requestTimeoutMs: 300_000 });
  }

  static async open(label: string, servers: WorldServers): Promise<World> {
    const stops: Array<() => Promise<void>> = [];
    try {
      let couchUrl = servers.couchUrl;
      let couchPid: number | undefined;
      if (!couchUrl) {
        // Like a stock CouchDB 3 (admin required, opaque seqs, _db_updates in 500 ms batches)
        // unless plain mode is asked for. Views on: the naive baseline queries a view in every
        // numbers database (design-document JavaScript, which the embedded server refuses by default).
        const fidelity = (servers.couchMode ?? 'couchdb3') === 'couchdb3' ? COUCHDB3_FIDELITY : {};
        const couch = await startEmbeddedCouch({ fidelity, jsViews: true });
        stops.push(() => couch.stop());
        couchUrl = couch.url;
        couchPid = couch.pid;
      } else {
        // The daemon follows every numbers database: foreign ones would distort the figures.
        const existing = await new CouchClient({ url: couchUrl }).listDbs('numbers/', 'numbers/\ufff0');
        if (existing.length > 0)
          throw new Error(`COUCHDB_URL (${redactUrl(couchUrl)}) already has ${existing.length} numbers/ databases; benchmarks need a server without any`);
      }
      let redisUrl = servers.redisUrl;
      let redisPid: number | undefined;
      if (!redisUrl) {
        const redis = await startEmbeddedRedis({});
        stops.push(() => redis.stop());
        redisUrl = redis.url;
        redisPid = redis.pid;
      }
      return new World(couchUrl, redisUrl, `bench-${label}-${randomBytes(3).toString('hex')}`, !servers.redisUrl, couchPid, redisPid, stops);
    } catch (err) {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      throw err;
    }
  }

  async createDb(name: string): Promise<void> {
    try {
      await this.couch.request({ method: 'put', db: name });
    } catch (err) {
      if (!(err instanceof CouchError && err.status === 412)) throw err;
    }
    this.created.add(name);
  }

  async createDbs(names: readonly string[], concurrency: number): Promise<void> {
    await pMap(names, (name) => this.createDb(name), { concurrency });
  }

  async close(): Promise<void> {
    if (this.couchPid === undefined) {
      // Shared server: remove what we made, and only that.
      await pMap(this.created, (db) => this.couch.request({ method: 'delete', db }).catch(() => undefined), { concurrency: 8 });
    }
    for (const stop of this.stops.reverse()) await stop().catch(() => undefined);
  }
}
