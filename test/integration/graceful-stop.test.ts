import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { probeReadiness } from '../../src/http/readiness-probe.js';
import type { Daemon } from '../../src/daemon.js';

const A = freshAccountId();
const B = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const [N1, N2] = freshNumbers(P, 2) as [string, string];

/** A pino logger whose records land in `records`. */
function capturingLogger(records: Array<Record<string, unknown>>) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      records.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'info' }, stream);
}

function gate(): { open: () => void; wait: Promise<void> } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { open, wait };
}

describe('Daemon.stop and worker readiness', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: [`numbers/${P}`] }));
  });

  afterAll(async () => {
    await couch.stop();
  });

  async function startWith(
    hook: (accountId: string) => Promise<void>,
    shutdownTimeoutMs: number,
    records: Array<Record<string, unknown>> = [],
  ): Promise<Daemon> {
    const daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('stop'), { shutdownTimeoutMs }), {
      logger: capturingLogger(records),
      hooks: { beforeWrite: hook },
    });
    await waitFor(() => daemon.index.isReady(), { what: 'index ready' });
    return daemon;
  }

  it('lets an active rebuild finish before closing the connections', async () => {
    const reached = gate();
    const release = gate();
    const daemon = await startWith(async (accountId) => {
      if (accountId !== A) return;
      reached.open();
      await release.wait;
    }, 30_000);
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: A, pvt_modified: 1 });
    await reached.wait;

    let stopped = false;
    const stopping = daemon.stop().then(() => (stopped = true));
    await sleep(300);
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(await fx.listed(A)).toContain(N1);
  });

  it('abandons a rebuild that outlasts the shutdown timeout instead of hanging', async () => {
    const reached = gate();
    const records: Array<Record<string, unknown>> = [];
    const daemon = await startWith(
      async (accountId) => {
        if (accountId !== B) return;
        reached.open();
        await new Promise(() => undefined);
      },
      500,
      records,
    );
    await fx.putNumber({ _id: N2, pvt_state: 'in_service', pvt_assigned_to: B, pvt_modified: 1 });
    await reached.wait;
    await daemon.stop();
    expect(records.some((r) => r.msg === 'active rebuilds did not finish in time; abandoning them (they will run again)')).toBe(true);
    await waitFor(() => daemon.redis.status === 'end', { what: 'Redis connection closed' });
  });

  it('reports a worker that stopped taking jobs as not ready', async () => {
    const daemon = await startWith(async () => undefined, 5000);
    const probe = () =>
      probeReadiness({
        couch: daemon.couch,
        redis: daemon.redis,
        listener: daemon.listener,
        worker: daemon.worker,
        timing: { feedTimeoutMs: 1000, pollIntervalMs: 250, rescanIntervalMs: 2000, requestTimeoutMs: 10_000 },
        stopping: () => false,
      });
    try {
      expect(await waitFor(async () => (await probe()).ready, { what: 'ready' })).toBe(true);
      await daemon.worker!.worker.close();
      const readiness = await probe();
      expect(readiness.ready).toBe(false);
      expect(readiness.checks.workers!.ok).toBe(false);
      expect(readiness.checks.redis!.ok).toBe(true);
    } finally {
      await daemon.stop();
    }
  });
});
