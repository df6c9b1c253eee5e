import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { Random } from '../harness/random.js';
import { uniquePrefix } from '../harness/servers.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';

const SOAK = process.env.SOAK === '1';
const SEED = Number(process.env.COMBINED_SEED ?? 11_2026);
const LEASE_MSG = 'listener lease acquired; following numbers databases';

/**
 * Every fault at once, in one seeded run: the daemon is SIGKILLed several times, redis-server
 * (AOF, appendfsync everysec) is killed -9 once and restarted on its files, and CouchDB is
 * restarted once, all while a random load writes number docs. At the end: zero drift, every
 * number listed exactly where the load's own model says, every change consumed.
 */
describe.skipIf(inject('externalCouch'))(`combined faults during a seeded load (seed ${SEED})`, () => {
  let couch: DiskCouch;
  let redis: EmbeddedRedis;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    couch = await DiskCouch.start('combined');
    redis = await startEmbeddedRedis({ dataDir: couch.path('redis'), appendOnly: true });
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await redis?.stop();
    await couch?.close();
  });

  it(
    'ends with zero drift and no number missed',
    async () => {
      const random = new Random(SEED);
      const load = new NumberLoad({
        couchUrl: couch.url,
        seed: SEED,
        prefixes: ['+1415', '+1212', '+4420'],
        numbersPerDb: SOAK ? 1000 : 120,
        accounts: SOAK ? 40 : 15,
      });
      await load.setup();
      const prefix = uniquePrefix('combined');
      const env = () => ({
        COUCHDB_URL: couch.url,
        REDIS_URL: redis.url,
        NUMBERS_SYNC_PREFIX: prefix,
        NUMBERS_SYNC_LEASE_TTL_MS: '1000',
        NUMBERS_SYNC_BATCH_SIZE: '40',
        NUMBERS_SYNC_JOB_BACKOFF_MS: '100',
        NUMBERS_SYNC_RESCAN_INTERVAL_MS: '2000',
        LOG_LEVEL: 'info',
      });
      const start = async (what: string) => {
        const child = new ChildDaemon(['run'], env(), couch.dir);
        children.push(child);
        await child.waitForLog((r) => r.msg === LEASE_MSG, `${what}: lease`);
        return child;
      };
      const steps = async (n: number) => {
        for (let i = 0; i < n; i++) await load.step(20 + random.int(20));
      };

      // Life 1: killed mid-load.
      let child = await start('life 1');
      await steps(SOAK ? 60 : 15);
      await sleep(random.int(300));
      await child.kill('SIGKILL');
      await steps(5);

      // Life 2: redis-server is killed -9 under it and comes back on its AOF; then the daemon is killed.
      child = await start('life 2');
      await steps(SOAK ? 40 : 10);
      const redisPort = redis.port;
      await redis.kill();
      await steps(5);
      redis = await startEmbeddedRedis({ port: redisPort, dataDir: couch.path('redis'), appendOnly: true });
      await steps(SOAK ? 40 : 10);
      await sleep(random.int(300));
      await child.kill('SIGKILL');

      // Life 3: CouchDB restarts under it (the load pauses: it writes to that server), then the daemon is killed.
      child = await start('life 3');
      await steps(SOAK ? 40 : 10);
      const couchPort = couch.port;
      await couch.stopServer();
      await sleep(1500);
      await couch.startServer(couchPort);
      await steps(SOAK ? 40 : 10);
      await sleep(random.int(300));
      await child.kill('SIGKILL');
      await steps(5);

      // Life 4: runs to the end.
      child = await start('life 4');
      await steps(SOAK ? 40 : 10);
      const last = child;
      const fx = new CouchFixture(couch.url);
      await waitForConvergence(fx, load, redis.url, prefix, {
        timeoutMs: SOAK ? 300_000 : 120_000,
        context: () => last.lines.slice(-20).join('\n') + last.stderr.join('').slice(-2000),
      });
      for (const earlier of children.slice(0, -1)) expect((await earlier.exited).signal).toBe('SIGKILL');
      expect(last.child.exitCode).toBeNull();
      await last.kill('SIGTERM');
    },
    SOAK ? 900_000 : 240_000,
  );
});
