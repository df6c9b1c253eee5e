import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { Random } from '../harness/random.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';

const rnd = new Random(7);
const accounts = Array.from({ length: 8 }, () => freshAccountId());
const [P] = freshPrefixes(1) as [string];
const numbers = freshNumbers(P, 60);

describe('restart after SIGKILL', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts, numbersDbs: [`numbers/${P}`] }));
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch.stop();
  });

  async function writeSome(count: number, version: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const owner = rnd.pick(accounts);
      await fx.putNumber({
        _id: rnd.pick(numbers),
        pvt_state: rnd.pick(['in_service', 'reserved', 'available']),
        pvt_assigned_to: owner,
        pvt_reserve_history: rnd.chance(0.3) ? [rnd.pick(accounts)] : [],
        pvt_modified: version + i,
      });
    }
  }

  it('resumes from checkpoints with zero drift', async () => {
    const env = {
      COUCHDB_URL: couch.url,
      REDIS_URL: redisUrl(),
      NUMBERS_SYNC_PREFIX: uniquePrefix('restart'),
      NUMBERS_SYNC_LEASE_TTL_MS: '2000',
      NUMBERS_SYNC_BATCH_SIZE: '20',
    };
    const first = new ChildDaemon(['run'], env);
    children.push(first);
    await first.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'first start');
    const writing = writeSome(300, 0);
    // Its own database's page: on a shared server other databases' pages are logged too.
    await first.waitForLog((r) => r.msg === 'changes page applied' && r.db === `numbers/${P}`, 'some pages applied');
    await sleep(200);
    await first.kill('SIGKILL');
    await writing;
    await writeSome(100, 1000);

    const second = new ChildDaemon(['run'], env);
    children.push(second);
    const resumed = await second.waitForLog((r) => r.msg === 'index found; resuming from checkpoints', 'resume');
    // One per numbers database with changes: this test's own, plus on a shared server any other.
    expect(resumed.checkpoints).toBe((await fx.checkpointableNumbersDbs()).length);
    expect(second.records().some((r) => String(r.msg).startsWith('no index in Redis'))).toBe(false);
    const firstPage = await second.waitForLog((r) => r.msg === 'changes page applied', 'a page after restart');
    expect(firstPage.since).not.toBe(0);
    let drift: unknown[] = [];
    await waitFor(async () => (drift = await fx.drift(accounts)).length === 0, { what: 'zero drift', timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(drift).slice(0, 1500)}\n${second.lines.slice(-30).join('\n')}`);
    });
    await second.kill('SIGTERM');
  });
});
