import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { LogCapture, type LogRecord } from '../harness/log-capture.js';
import { CouchFixture } from '../harness/numbers.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import type { Daemon } from '../../src/daemon.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';

const SOAK = process.env.SOAK === '1';

describe('CouchDB restart mid-stream (on-disk data, same port)', () => {
  let couch: DiskCouch;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    couch = await DiskCouch.start('couch-restart');
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.close();
  });

  it('followers retry with backoff, resume from their checkpoints, and converge', async () => {
    const load = new NumberLoad({ couchUrl: couch.url, seed: 2202, prefixes: ['+1415', '+1212', '+4420'], numbersPerDb: SOAK ? 500 : 100, accounts: 15 });
    await load.setup();
    const fx = new CouchFixture(couch.url);
    const log = new LogCapture();
    const prefix = uniquePrefix('couch-restart');
    // Once armed, page commits after the first wait until the server is down: the backlog is
    // then certainly read only in part when CouchDB goes away, however fast the daemon drains.
    const gate = { armed: false, passed: 0, open: () => {} };
    const opened = new Promise<void>((resolve) => (gate.open = resolve));
    const beforeCommit = async () => {
      if (gate.armed && gate.passed++ >= 1) await opened;
    };
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { batchSize: 25, rescanIntervalMs: 1000 }), {
      logger: log.logger,
      hooks: { beforeCommit },
    });
    await load.step(200);
    await waitForConvergence(fx, load, redisUrl(), prefix);

    // A backlog the daemon is still reading when the server goes away.
    const from = log.mark();
    gate.armed = true;
    await load.step(SOAK ? 10_000 : 1500);
    await log.waitForLog((r) => r.msg === 'changes page applied', 'the backlog being read', { from });
    const seqs = await Promise.all(load.dbs.map((db) => fx.couch.request<{ update_seq: unknown }>({ db, path: '' })));
    const port = couch.port;
    await couch.stopServer();
    // Really mid-stream: some database was not read to its end when the server went away.
    // Seqs are opaque: only equality with the update_seq of the same server run tells.
    const checkpoints = await daemon.index.checkpoints();
    expect(load.dbs.some((db, i) => JSON.stringify(checkpoints.get(db) ?? null) !== JSON.stringify(seqs[i]!.update_seq))).toBe(true);
    gate.open();
    const down = log.mark();
    // Down until several retries of some database were logged, so the backoff can be seen.
    await log.waitForLog(() => maxRetries(log.records(down)) >= 3, 'repeated drain retries', { from: down });
    await couch.startServer(port);
    const up = log.mark();
    await load.step(SOAK ? 2000 : 300);
    await waitForConvergence(fx, load, redisUrl(), prefix, { timeoutMs: 60_000 });

    // Backoff: per database, each retry waited at least as long as the one before.
    const delays = retryDelays(log.records(down).slice(0, up - down));
    for (const [db, list] of delays) expect(list, db).toEqual([...list].sort((a, b) => a - b));
    // The same session went on from its checkpoints: no new session, no replay from 0.
    const after = log.records(down);
    expect(after.filter((r) => r.msg === 'follow session ended; starting a new one')).toEqual([]);
    expect(after.filter((r) => r.msg === 'changes page applied' && r.since === 0)).toEqual([]);
    expect((await daemon.metrics.feedErrors.get()).values.length).toBeGreaterThan(0);
  }, 120_000);
});

function retryDelays(records: LogRecord[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of records) {
    if (r.msg !== 'draining numbers database failed; retrying') continue;
    const db = String(r.db);
    out.set(db, [...(out.get(db) ?? []), Number(r.retryInMs)]);
  }
  return out;
}

function maxRetries(records: LogRecord[]): number {
  return Math.max(0, ...[...retryDelays(records).values()].map((l) => l.length));
}
