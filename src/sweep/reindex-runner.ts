import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import { RebuildOutbox } from '../queue/outbox.js';
import type { Logger } from '../log/logger.js';
import { Metrics } from '../metrics/metrics.js';
import { DbDrainer } from '../listener/db-drainer.js';
import { ListenerLease } from '../listener/lease.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { ReindexResult } from './reindex-request.js';

export type ReindexOutcome = ReindexResult | { db: string; error: string };

export interface ReindexRunnerOptions {
  redis: Redis;
  couch: CouchClient;
  index: NumberIndex;
  queue: RebuildQueue;
  logger: Logger;
  batchSize: number;
  /** NUMBERS_SYNC_MAX_DOC_BYTES: the same quarantine rule as the listener's. */
  maxDocBytes: number;
  leaseTtlMs: number;
  timeoutMs: number;
  /** Called with each database's outcome as it arrives. */
  onOutcome?: (outcome: ReindexOutcome) => void;
}

/**
 * Re-indexes numbers databases on demand (commands). Where a listener holds the lease, the
 * request goes to it through Redis and runs in its drain scheduler, so it never interleaves with
 * a drain of the same database. Where none runs, this process takes the lease itself (no listener
 * can start meanwhile) and runs the very same reindex. Outcomes are in the order they complete.
 */
export async function reindexDatabases(dbs: readonly string[], opts: ReindexRunnerOptions): Promise<ReindexOutcome[]> {
  if (dbs.length === 0) return [];
  const lease = new ListenerLease(
    opts.redis,
    opts.index.keys.listenerLease,
    `reindex-command:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    opts.leaseTtlMs,
  );
  if (await lease.tryAcquire()) {
    try {
      return await reindexHere(dbs, lease, opts);
    } finally {
      await lease.release().catch(() => undefined);
    }
  }
  return reindexByListener(dbs, opts);
}

async function reindexByListener(dbs: readonly string[], opts: ReindexRunnerOptions): Promise<ReindexOutcome[]> {
  const id = randomUUID();
  await opts.index.requestReindex(dbs.map((db) => ({ id, db })));
  const deadline = Date.now() + opts.timeoutMs;
  let seen = 0;
  const outcomes: ReindexOutcome[] = [];
  while (outcomes.length < dbs.length) {
    if (Date.now() > deadline) {
      const done = new Set(outcomes.map((o) => o.db));
      for (const db of dbs) if (!done.has(db)) outcomes.push({ db, error: 'not finished in time (the listener keeps going)' });
      break;
    }
    const results = await opts.index.reindexResults(id);
    for (const raw of results.slice(seen)) {
      const outcome = JSON.parse(raw) as ReindexOutcome;
      outcomes.push(outcome);
      opts.onOutcome?.(outcome);
    }
    seen = results.length;
    if (outcomes.length < dbs.length) await abortableSleep(500);
  }
  return outcomes;
}

async function reindexHere(dbs: readonly string[], lease: ListenerLease, opts: ReindexRunnerOptions): Promise<ReindexOutcome[]> {
  const epoch = await opts.index.readyEpoch();
  if (!epoch) throw new Error('the index is not complete (no listener has built it yet): start the daemon, it builds it from every numbers database');
  const controller = new AbortController();
  const renew = setInterval(
    () => {
      lease.renew().then(
        (ours) => ours || controller.abort(),
        () => undefined,
      );
    },
    Math.max(100, Math.floor(lease.ttlMs / 3)),
  );
  // Every index write is fenced by the lease this process now holds, like the listener's.
  const index = opts.index.fencedBy({ owner: lease.owner });
  const drainer = new DbDrainer({
    couch: opts.couch,
    index,
    outbox: new RebuildOutbox(index, opts.queue, opts.logger),
    logger: opts.logger,
    metrics: new Metrics(),
    batchSize: opts.batchSize,
    maxDocBytes: opts.maxDocBytes,
  });
  const outcomes: ReindexOutcome[] = [];
  try {
    for (const db of dbs) {
      let outcome: ReindexOutcome | undefined;
      try {
        await drainer.run(
          epoch,
          db,
          { forget: false, reindex: [{ reason: 'command', done: (o) => (outcome = o instanceof Error ? { db, error: o.message } : o) }] },
          controller.signal,
        );
      } catch (err) {
        outcome ??= { db, error: err instanceof Error ? err.message : String(err) };
      }
      if (controller.signal.aborted) outcome = { db, error: 'lost the listener lease' };
      outcomes.push(outcome!);
      opts.onOutcome?.(outcome!);
    }
  } finally {
    clearInterval(renew);
  }
  return outcomes;
}
