import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouch, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { freshPrefixes } from '../harness/ids.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { Random } from '../harness/random.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';

// Fast by default; SOAK=1 runs the full-size variant of the issue (20,000 changes).
const SOAK = process.env.SOAK === '1';
const SEED = Number(process.env.CRASH_SEED ?? 6_2026);
const TOTAL = SOAK ? 20_000 : 3000;
const KILLS = 10;

describe(`crash loop: SIGKILL ${KILLS} times during ${TOTAL} changes (seed ${SEED})`, () => {
  let dir: string;
  let couch: CouchHandle;
  let fx: CouchFixture;
  let fileLoad: NumberLoad | undefined;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-crash-'));
    couch = await privateCouch({ dataDir: join(dir, 'couch') });
    fx = new CouchFixture(couch.url);
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await fileLoad?.teardown();
    await couch?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'converges with zero drift, every number listed where it belongs, every change consumed',
    async () => {
      const load = new NumberLoad({
        couchUrl: couch.url,
        seed: SEED,
        prefixes: freshPrefixes(4),
        numbersPerDb: SOAK ? 1000 : 150,
        accounts: SOAK ? 60 : 20,
      });
      fileLoad = load;
      await load.setup();
      const prefix = uniquePrefix('crash');
      const env = {
        COUCHDB_URL: couch.url,
        REDIS_URL: redisUrl(),
        NUMBERS_SYNC_PREFIX: prefix,
        NUMBERS_SYNC_LEASE_TTL_MS: '1000',
        // Small pages, so kills land between and inside page commits.
        NUMBERS_SYNC_BATCH_SIZE: '50',
        NUMBERS_SYNC_JOB_BACKOFF_MS: '100',
        NUMBERS_SYNC_RESCAN_INTERVAL_MS: '2000',
        LOG_LEVEL: 'info',
      };
      // Kill moments come from their own seeded stream: a point inside each life's share of the
      // load, then a short delay, so the daemon is killed while pages and rebuilds are in flight.
      const moments = new Random(SEED + 1);
      const share = Math.ceil(TOTAL / (KILLS + 1));
      const writeUntil = async (target: number) => {
        while (load.written < Math.min(target, TOTAL)) await load.step(25);
      };

      let kills = 0;
      for (let life = 0; life <= KILLS; life++) {
        const child = new ChildDaemon(['run'], env, dir);
        children.push(child);
        await child.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', `life ${life}: lease`);
        const end = (life + 1) * share;
        if (life === KILLS) {
          await writeUntil(TOTAL);
          break;
        }
        await writeUntil(end - share + Math.floor(share * (0.2 + 0.8 * moments.next())));
        await sleep(moments.int(300));
        const exit = await child.kill('SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        kills++;
        // The load goes on while the daemon is down.
        await writeUntil(end);
      }
      expect(kills).toBe(KILLS);
      expect(load.written).toBeGreaterThanOrEqual(TOTAL);

      const last = children.at(-1)!;
      await waitForConvergence(fx, load, redisUrl(), prefix, {
        timeoutMs: SOAK ? 300_000 : 90_000,
        context: () => last.lines.slice(-20).join('\n') + last.stderr.join('').slice(-2000),
      });
      // Every earlier life died by SIGKILL, none by itself.
      for (const child of children.slice(0, -1)) expect((await child.exited).signal).toBe('SIGKILL');
      expect(last.child.exitCode).toBeNull();
      await last.kill('SIGTERM');
    },
    SOAK ? 900_000 : 180_000,
  );
});
