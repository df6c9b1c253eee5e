import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { NPM_START_HEAP_CAP, whileAlive } from '../harness/child-watch.js';
import { parsePrometheus, sampleValue } from '../harness/prometheus.js';
import type { CouchFixture } from '../harness/numbers.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const DB = 'numbers/+1415';
const BIG = 20;
const BIG_BYTES = 10 * 1024 * 1024;
const NORMAL = 40;

const bigId = (i: number) => `+1415555${String(1000 + i).padStart(4, '0')}`;
const normalId = (i: number) => `+1415556${String(i).padStart(4, '0')}`;

// Issue 15 item 3: 20 number docs of 10 MB made the daemon (128 MB heap, as `npm start` runs it)
// die with "Reached heap limit" on every start. They must be quarantined instead.
describe('number docs far above the size limit', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let dir: string;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [DB] }));
    dir = await mkdtemp(join(tmpdir(), 'nsync-large-'));
  }, 60_000);

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function start(prefix: string): ChildDaemon {
    const child = new ChildDaemon(
      ['run'],
      { ...NPM_START_HEAP_CAP, COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: prefix, LOG_LEVEL: 'info' },
      dir,
    );
    children.push(child);
    return child;
  }

  async function metric(child: ChildDaemon, name: string, labels: Record<string, string>): Promise<number | undefined> {
    const ops = await child.waitForLog((r) => r.msg === 'ops endpoint listening', 'ops endpoint');
    const text = await (await fetch(`${String(ops.url)}/metrics`)).text();
    return sampleValue(parsePrometheus(text), name, labels);
  }

  it('quarantines them (reported, counted, listed nowhere), lists the rest, and survives restarts', async () => {
    const blob = 'x'.repeat(BIG_BYTES);
    // Big and normal docs interleaved, so big rows sit inside pages of normal ones.
    for (let i = 0; i < Math.max(BIG, NORMAL); i++) {
      if (i < NORMAL) await fx.putNumber({ _id: normalId(i), pvt_state: 'in_service', pvt_assigned_to: A });
      if (i < BIG) await fx.putNumber({ _id: bigId(i), pvt_state: 'in_service', pvt_assigned_to: A, blob });
    }
    const normals = Array.from({ length: NORMAL }, (_, i) => normalId(i)).sort();
    const prefix = uniquePrefix('large');

    const first = start(prefix);
    await whileAlive(first, async () => JSON.stringify(await fx.listed(A)) === JSON.stringify(normals), 'the normal numbers listed, the big ones not', 90_000);
    const reported = await whileAlive<Set<unknown> | false>(
      first,
      () => {
        const ids = new Set(
          first
            .records()
            .filter((r) => r.reason === 'too_large')
            .map((r) => r.id),
        );
        return ids.size === BIG ? ids : false;
      },
      'every big doc reported as too_large',
    );
    expect([...(reported as Set<unknown>)].sort()).toEqual(Array.from({ length: BIG }, (_, i) => bigId(i)));
    expect(await metric(first, 'numbers_sync_invalid_docs_total', { reason: 'too_large' })).toBe(BIG);
    await sleep(1000);
    expect(first.child.exitCode).toBeNull();
    await first.kill('SIGKILL');

    // Restart: resumes from the checkpoint past the big docs and keeps following.
    const second = start(prefix);
    await whileAlive(second, () => second.records().some((r) => r.msg === 'listener lease acquired; following numbers databases'), 'lease after restart');
    await fx.putNumber({ _id: normalId(NORMAL), pvt_state: 'in_service', pvt_assigned_to: A });
    await whileAlive(second, async () => (await fx.listed(A)).includes(normalId(NORMAL)), 'a later number listed after restart');
    // A big doc changed again is quarantined again (once for its new revision), never listed.
    await fx.putNumber({ _id: bigId(0), pvt_state: 'in_service', pvt_assigned_to: A, blob, v: 2 });
    await whileAlive(second, () => second.records().some((r) => r.reason === 'too_large' && r.id === bigId(0)), 'the new revision reported');
    await sleep(1000);
    expect(await fx.listed(A)).not.toContain(bigId(0));
    expect(second.child.exitCode).toBeNull();
    await second.kill('SIGTERM');
  }, 240_000);
});
