import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';

const A = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const [N1, N2] = freshNumbers(P, 2) as [string, string];

describe('one listener at a time', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch.stop();
  });

  it('a standby takes over within seconds when the lease holder dies', async () => {
    const env = { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: uniquePrefix('lease'), NUMBERS_SYNC_LEASE_TTL_MS: '2000' };
    const first = new ChildDaemon(['run'], env);
    children.push(first);
    await first.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'first holds the lease');
    const second = new ChildDaemon(['run'], env);
    children.push(second);
    await second.waitForLog((r) => r.msg === 'another listener holds the lease; standing by', 'second stands by');
    expect(second.records().some((r) => r.msg === 'listener lease acquired; following numbers databases')).toBe(false);

    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'first number listed' });

    await first.kill('SIGKILL');
    // The lease TTL is 2 s; the bound only keeps a broken take-over from hanging the suite.
    await second.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'second takes over', 15_000);

    await fx.putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 2, { what: 'number written after take-over listed', timeoutMs: 30_000 });
    expect(await fx.drift([A])).toEqual([]);
  });
});
