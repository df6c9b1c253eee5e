import pMap from 'p-map';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { listAccountIds } from '../listener/account-dbs.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import { checkAccount } from './account-check.js';
import { ReadBudget } from './read-budget.js';
import { addRepair, type RepairCounts } from './repair-kinds.js';
import type { ReindexRequest, ReindexResult } from './reindex-request.js';

export interface SweepOptions {
  couch: CouchClient;
  index: NumberIndex;
  queue: RebuildQueue;
  logger: Logger;
  metrics: Metrics;
  /** A sweep starts this long after the previous one started (or after the session started). */
  intervalMs: number;
  /** Documents read per second by the sweep, numbers and account docs together; 0 = unbounded. */
  maxReadsPerS: number;
  /** Runs a reindex as a task of the session's drain scheduler (never alongside a drain of that database). */
  reindex: (db: string, request: ReindexRequest) => void;
  /** The numbers databases followed now. */
  databases: () => string[];
  /** False while the index is being replayed: nothing to compare with yet. */
  ready: () => boolean;
  signal: AbortSignal;
}

export interface SweepReport {
  databases: number;
  accounts: number;
  /** Documents read from CouchDB: _changes rows of every database plus one per account doc. */
  reads: number;
  repairs: RepairCounts;
  failed: string[];
  /** Account docs that could not be read (retried by the next sweep). */
  failedAccounts: number;
  ms: number;
}

const ACCOUNT_CONCURRENCY = 4;

/**
 * Anti-entropy: events are the fast path, not the only one. Every interval, re-index each
 * numbers database (compare with CouchDB and repair), then compare each account doc with the
 * index and rebuild those that differ, so any missed or mishandled event heals within one
 * period. Runs in the lease holder only (it lives in a follow session), one database at a time,
 * paced by a read budget.
 */
export class AntiEntropySweep {
  constructor(private readonly opts: SweepOptions) {}

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    void this.loop();
  }

  private async loop(): Promise<void> {
    const { signal, intervalMs, logger } = this.opts;
    let startedAt = Date.now();
    while (!signal.aborted) {
      await abortableSleep(Math.max(0, startedAt + intervalMs - Date.now()), signal);
      if (signal.aborted) return;
      startedAt = Date.now();
      if (!this.opts.ready()) continue;
      try {
        await this.sweepOnce();
      } catch (err) {
        if (!signal.aborted) logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'anti-entropy sweep failed; the next one retries');
      }
    }
  }

  /** One full sweep; resolves when every database and account doc was checked. */
  async sweepOnce(): Promise<SweepReport> {
    const { couch, index, queue, logger, metrics, signal } = this.opts;
    const started = Date.now();
    const budget = new ReadBudget(this.opts.maxReadsPerS, signal);
    const repairs: RepairCounts = {};
    const failed: string[] = [];
    const dbs = [...this.opts.databases()].sort();
    logger.info({ databases: dbs.length }, 'anti-entropy sweep started');
    let reads = 0;
    let failedAccounts = 0;
    for (const db of dbs) {
      if (signal.aborted) break;
      const outcome = await this.reindex(db, budget);
      if (outcome instanceof Error) {
        failed.push(db);
        logger.warn({ db, err: outcome.message }, 'sweep: reindex failed; the next sweep retries');
        continue;
      }
      reads += outcome.read;
      for (const [kind, n] of Object.entries(outcome.repairs)) addRepair(repairs, kind as keyof RepairCounts, n);
      metrics.sweepLastCompleted.set({ db }, Date.now() / 1000);
    }
    const accounts = signal.aborted ? [] : await listAccountIds(couch, signal);
    await pMap(
      accounts,
      async (accountId) => {
        await budget.spend(1);
        let kind;
        try {
          kind = await checkAccount(couch, index, accountId, signal);
        } catch (err) {
          if (signal.aborted) throw err;
          // One account database that cannot be read (a shard down, a 500) must not keep every
          // other account from being checked, sweep after sweep.
          failedAccounts++;
          logger.warn(
            { account: accountId, err: err instanceof Error ? err.message : String(err) },
            'sweep: could not check the account doc; the next sweep retries',
          );
          return;
        }
        if (!kind) return;
        addRepair(repairs, kind);
        metrics.repairs.inc({ kind });
        // The doc differs from what the daemon last wrote: the rebuild must read CouchDB.
        await index.forgetDocs([accountId]);
        if (kind === 'account_doc') await queue.request([accountId]);
        logger.warn({ account: accountId, kind }, 'sweep: account doc differs from the index; rebuilding');
      },
      { concurrency: ACCOUNT_CONCURRENCY, signal },
    );
    const report: SweepReport = {
      databases: dbs.length - failed.length,
      accounts: accounts.length,
      reads: reads + accounts.length,
      repairs,
      failed,
      failedAccounts,
      ms: Date.now() - started,
    };
    if (!signal.aborted) {
      metrics.sweepDuration.observe(report.ms / 1000);
      logger.info(report, 'anti-entropy sweep complete');
    }
    return report;
  }

  private reindex(db: string, budget: ReadBudget): Promise<ReindexResult | Error> {
    const { signal } = this.opts;
    return new Promise((resolve) => {
      const onAbort = () => resolve(new Error('session ended'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.opts.reindex(db, {
        reason: 'sweep',
        throttle: (rows) => budget.spend(rows),
        done: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      });
    });
  }
}
