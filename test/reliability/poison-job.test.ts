import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCouch, type TestCouch } from '../harness/test-couch.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { LogCapture } from '../harness/log-capture.js';
import { CouchFixture } from '../harness/numbers.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const POISON = '0badbad00badbad00badbad00badbad0';
const OTHERS = Array.from({ length: 5 }, (_, i) => `0000000000000000000000000000000${i + 1}`);
const ATTEMPTS = 4;
// Long enough that the other accounts' later changes are done well before the poison job gives up.
const BACKOFF_MS = 2000;

describe('a poison rebuild job (its account database answers 500)', () => {
  let couch: TestCouch;
  let proxy: FaultProxy;
  let poisoned = false;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    couch = await startTestCouch();
    const poisonPath = `/${accountDbName(POISON)}`;
    proxy = await startFaultProxy(couch.url, (req) => poisoned && decodeURIComponent(req.url ?? '').startsWith(poisonPath));
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await couch?.stop();
  });

  it('is retried with backoff, lands in the failed set with its reason, and blocks no other account', async () => {
    const fx = new CouchFixture(couch.url);
    // Reported by _db_updates before the daemon starts: a `created` event of one of these
    // arriving late (CouchDB 3 publishes them in 500 ms batches) rebuilds its account again,
    // which for the poison account is a second job beside the one this test follows.
    await fx.createDbsReported([...[POISON, ...OTHERS].map(accountDbName), 'numbers/+1415']);
    let n = 0;
    const assign = (account: string) => fx.putNumber({ _id: `+1415444${String(1000 + n++)}`, pvt_state: 'in_service', pvt_assigned_to: account });
    for (const account of OTHERS) await assign(account);

    const log = new LogCapture();
    daemon = startTestDaemon(testSettings(proxy.url, redisUrl(), uniquePrefix('poison'), { jobAttempts: ATTEMPTS, jobBackoffMs: BACKOFF_MS }), {
      logger: log.logger,
    });
    // Start-up reconciles every account; once that is done, the poison account's database breaks
    // and one change makes one rebuild job for it.
    await waitFor(async () => (await daemon!.index.isReady()) && (await fx.drift(OTHERS)).length === 0, { what: 'start-up done' });
    await waitFor(
      async () => {
        const c = await daemon!.queue.counts();
        return (c.active ?? 0) + (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) === 0;
      },
      { what: 'queue idle' },
    );
    poisoned = true;
    await assign(POISON);
    const poisonJob = async () =>
      (await daemon!.queue.queue.getJobs(['active', 'waiting', 'delayed', 'failed', 'completed'])).find((j) => j.data.accountId === POISON);

    // Once the poison job has failed a first time, the other accounts change and must still be served.
    await waitFor(() => proxy.failed.length > 0, { what: 'a first failure' });
    for (const account of OTHERS) await assign(account);
    await waitFor(async () => (await fx.drift(OTHERS)).length === 0 && (await Promise.all(OTHERS.map((a) => fx.listed(a)))).every((l) => l.length === 2), {
      what: 'other accounts served',
    });
    expect(await (await poisonJob())?.getState()).not.toBe('failed');

    // The poison job gives up after its attempts and keeps its reason.
    await waitFor(async () => (await poisonJob())?.failedReason !== undefined && (await (await poisonJob())!.getState()) === 'failed', {
      what: 'the job in the failed set',
      timeoutMs: 60_000,
    });
    const failed = await daemon.queue.queue.getFailed();
    expect(failed.map((j) => j.data.accountId)).toEqual([POISON]);
    expect(failed[0]!.attemptsMade).toBe(ATTEMPTS);
    expect(failed[0]!.failedReason).toMatch(/500 .*injected by the test proxy/);
    expect(log.records().filter((r) => r.msg === 'rebuild failed' && r.account === POISON)).toHaveLength(ATTEMPTS);

    // One request per attempt, each wait at least the exponential backoff's lower bound (jitter 0.5).
    expect(proxy.failed).toHaveLength(ATTEMPTS);
    for (let i = 1; i < ATTEMPTS; i++) {
      expect(proxy.failed[i]!.at - proxy.failed[i - 1]!.at, `wait before attempt ${i + 1}`).toBeGreaterThanOrEqual(0.5 * BACKOFF_MS * 2 ** (i - 1) - 50);
    }
    expect(await fx.drift(OTHERS)).toEqual([]);
  }, 90_000);
});
