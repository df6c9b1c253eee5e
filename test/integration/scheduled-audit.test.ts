import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { parsePrometheus, sampleValue } from '../harness/prometheus.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { runVerifyChild } from '../../src/audit/verify-child.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const B = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const NUMBER = '+14155550100';

function numberDoc(owner: string, modified: number): Record<string, unknown> & { _id: string } {
  return { _id: NUMBER, pvt_state: 'in_service', pvt_assigned_to: owner, pvt_created: 63871286400, pvt_modified: modified };
}

async function auditMetrics(base: string): Promise<{ drift: number; last: number }> {
  const samples = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
  return { drift: sampleValue(samples, 'numbers_sync_drift_accounts') ?? -1, last: sampleValue(samples, 'numbers_sync_last_audit_timestamp_seconds') ?? -1 };
}

/** Scrapes `base` until its audit gauges satisfy `ok`; returns them. */
async function waitForAudit(base: string, ok: (m: { drift: number; last: number }) => boolean, what: string): Promise<{ drift: number; last: number }> {
  let seen = { drift: -1, last: -1 };
  await waitFor(async () => ok((seen = await auditMetrics(base))), { what });
  return seen;
}

/**
 * The daemon audits drift on its own schedule (NUMBERS_SYNC_AUDIT_INTERVAL_MS) in the lease
 * holder and every process exports the result: a doc changed behind the daemon's back shows as
 * numbers_sync_drift_accounts = 1 without any cron, and 0 again once the daemon rewrote it.
 */
describe('scheduled drift audit exported as metrics', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  const children: ChildDaemon[] = [];
  let runBase = '';
  let workBase = '';

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: ['numbers/+1415'] }));
    const env = {
      COUCHDB_URL: couch.url,
      REDIS_URL: redisUrl(),
      NUMBERS_SYNC_PREFIX: uniquePrefix('audit'),
      NUMBERS_SYNC_FEED_TIMEOUT_MS: '1000',
      NUMBERS_SYNC_AUDIT_INTERVAL_MS: '2000',
    };
    const run = new ChildDaemon(['run'], env);
    const work = new ChildDaemon(['work'], env);
    children.push(run, work);
    runBase = (await run.waitForLog((r) => r.msg === 'ops endpoint listening', 'run: ops endpoint')).url as string;
    workBase = (await work.waitForLog((r) => r.msg === 'ops endpoint listening', 'work: ops endpoint')).url as string;
    await run.waitForLog((r) => r.msg === 'index replay complete; reconciling every account', 'replay complete');
    await fx.putNumber(numberDoc(A, 63871286401));
    await waitFor(async () => (await fx.listed(A)).includes(NUMBER), { what: `A lists ${NUMBER}` });
  }, 120_000);

  afterAll(async () => {
    for (const child of children) await child.kill('SIGTERM');
    await couch?.stop();
  });

  it('reports no drift once the lease holder audited a synced deployment', async () => {
    const clean = await waitForAudit(runBase, (m) => m.last > 0 && m.drift === 0, 'a clean audit on /metrics');
    expect(clean.last).toBeLessThanOrEqual(Date.now() / 1000);
    expect(children[0]!.records().some((r) => r.msg === 'drift audit: no drift' && r.role === 'audit')).toBe(true);
  });

  it('reports an account doc changed behind its back, in every process, then clears once it is rebuilt', async () => {
    const before = (await auditMetrics(runBase)).last;
    // Another writer drops the number from A's doc: the daemon does not follow account databases.
    const doc = (await fx.accountDoc(A))!;
    delete doc[NUMBER];
    await fx.couch.putDoc(accountDbName(A), { ...doc, _id: PHONE_NUMBERS_DOC_ID } as { _id: string });

    const drifted = await waitForAudit(runBase, (m) => m.drift === 1 && m.last > before, 'drift_accounts 1 on the lease holder');
    expect(drifted.drift).toBe(1);
    const logged = children[0]!.records().find((r) => r.msg?.toString().startsWith('drift audit: account docs differ'));
    expect(logged?.accounts).toEqual([A]);
    // The work-only process reads the same record from Redis.
    await waitForAudit(workBase, (m) => m.drift === 1, 'drift_accounts 1 on the worker process');

    // A change of the number makes the daemon rewrite A's doc (409 on its cached rev, re-read).
    await fx.putNumber(numberDoc(A, 63871286402));
    await waitFor(async () => (await fx.listed(A)).includes(NUMBER), { what: `A lists ${NUMBER} again` });
    await waitForAudit(runBase, (m) => m.drift === 0 && m.last > drifted.last, 'drift_accounts back to 0');
  });

  it('reports a failed audit pass as an error that names no password', async () => {
    const password = 's3cret-audit-pw';
    const failed = runVerifyChild({ couchUrl: `http://admin:${password}@127.0.0.1:1`, redisUrl: redisUrl(), prefix: uniquePrefix('audit-fail') });
    await expect(failed).rejects.toThrow(/^verify exited with 1: /);
    const message = await failed.catch((err: Error) => err.message);
    expect(message).not.toContain(password);
  });
});
