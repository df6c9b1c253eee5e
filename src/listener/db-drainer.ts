import type { CouchClient } from '../couch/couch-client.js';
import { CouchError } from '../couch/couch-error.js';
import type { IndexChange, NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { mapChanges, type MappedBatch } from './change-mapper.js';
import type { DrainTask } from './drain-scheduler.js';
import { DbInstanceReader, instanceChange, parseDbInstance } from '../sweep/db-instance.js';
import { addRepair, numberRepair, repairedChanges, type RepairCounts, type RepairKind } from '../sweep/repair-kinds.js';
import type { ReindexRequest, ReindexResult } from '../sweep/reindex-request.js';

/** How one pass of the drain loop reads (a normal drain uses none of it). */
export interface DrainPass {
  /**
   * Read from the start instead of the checkpoint. The checkpoint is left where normal drains
   * put it until the last page, which sets it to where this read ended.
   */
  fromStart?: boolean;
  /** Sees each mapped page before it is committed and may replace its changes. */
  onPage?: (changes: IndexChange[], rows: number) => Promise<IndexChange[]>;
  /** Runs after each page is committed and delivered. */
  afterPage?: (rows: number, last: boolean) => Promise<void>;
}

const STALE_CHUNK = 500;

export interface DbDrainerOptions {
  couch: CouchClient;
  index: NumberIndex;
  outbox: RebuildOutbox;
  logger: Logger;
  metrics: Metrics;
  batchSize: number;
  /** Test hook: called after each committed batch. */
  afterBatch?: (db: string, rows: number) => Promise<void> | void;
}

/**
 * Reads one numbers database's _changes from its checkpoint to the end, in bounded pages.
 * Per page: map (pure) -> commit to the index with the page's last_seq (atomic) -> enqueue
 * the affected accounts. A crash anywhere replays at most one page, and replay is idempotent.
 * The same loop serves the reindex (a full read from the start, compared with the index) and
 * the forgetting of deleted databases.
 */
export class DbDrainer {
  private readonly instances: DbInstanceReader;

  constructor(private readonly opts: DbDrainerOptions) {
    this.instances = new DbInstanceReader(opts.couch);
  }

  /** One scheduled task of a database: forget it, check it is the same instance, drain or reindex it. */
  async run(epoch: string, db: string, task: DrainTask, signal: AbortSignal): Promise<void> {
    if (task.forget) await this.forget(epoch, db);
    let requests = task.reindex ?? [];
    if (requests.length === 0 && task.checkInstance && (await this.recreated(db, signal))) requests = [{ reason: 'recreated' }];
    if (requests.length === 0) {
      try {
        return await this.drain(epoch, db, signal);
      } catch (err) {
        if (!isRefusedSince(err)) throw err;
        this.opts.logger.warn({ db, err: (err as Error).message }, 'CouchDB refused the checkpoint of a numbers database; re-indexing it from the start');
        requests = [{ reason: 'checkpoint' }];
      }
    }
    try {
      const result = await this.reindex(epoch, db, signal, requests);
      for (const r of requests) r.done?.(result);
    } catch (err) {
      for (const r of requests) r.done?.(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }
  }

  async drain(epoch: string, db: string, signal: AbortSignal, pass: DrainPass = {}): Promise<void> {
    const { couch, index, outbox, metrics, batchSize } = this.opts;
    let since: unknown = pass.fromStart ? 0 : ((await index.checkpoint(db)) ?? 0);
    while (!signal.aborted) {
      const page = await couch.changes(db, { since, limit: batchSize, includeDocs: true, signal });
      // A full read commits its empty last page too: that moves the checkpoint to where it ended.
      if (page.results.length === 0 && !pass.fromStart) {
        metrics.dbLag.set({ db }, 0);
        return;
      }
      const last = page.results.length < batchSize;
      const mapped = mapChanges(db, page.results);
      this.report(db, mapped);
      const changes = pass.onPage ? await pass.onPage(mapped.changes, page.results.length) : mapped.changes;
      const token = outbox.newToken();
      const seq = pass.fromStart && !last ? undefined : page.last_seq;
      const affected = await index.commit(epoch, db, changes, seq, token);
      metrics.changesProcessed.inc({ db }, page.results.length);
      await outbox.deliver(token, affected);
      this.opts.logger.debug({ db, since, rows: page.results.length, accounts: affected.length }, 'changes page applied');
      await this.opts.afterBatch?.(db, page.results.length);
      since = page.last_seq;
      metrics.dbLag.set({ db }, typeof page.pending === 'number' ? page.pending : 0);
      await pass.afterPage?.(page.results.length, last);
      if (last) return;
    }
  }

  /** Removes every number the index holds for a deleted database, then its checkpoint. */
  async forget(epoch: string, db: string): Promise<number> {
    const { index, outbox } = this.opts;
    const numbers = await index.numbersOfDb(db);
    for (let i = 0; i < numbers.length; i += 500) {
      const token = outbox.newToken();
      const chunk = numbers.slice(i, i + 500).map((number) => ({ number }));
      await outbox.deliver(token, await index.commit(epoch, db, chunk, undefined, token));
    }
    await index.forgetDb(db);
    await index.forgetDbInstance(db);
    this.opts.metrics.dbLag.remove({ db });
    if (numbers.length > 0) this.opts.logger.info({ db, numbers: numbers.length }, 'numbers database deleted; its numbers were removed');
    return numbers.length;
  }

  /**
   * Reads the whole database from the start, through the drain loop, comparing each page with
   * the index and repairing what differs (owner, listing accounts, entry data, set memberships),
   * moves the checkpoint to the end, then removes every number indexed for the database that the
   * full read did not list. Affected accounts go through the outbox like any page's.
   */
  async reindex(epoch: string, db: string, signal: AbortSignal, requests: readonly ReindexRequest[]): Promise<ReindexResult> {
    const { index, outbox, logger, metrics } = this.opts;
    const started = Date.now();
    const instance = await this.instances.read(db, signal);
    const repairs: RepairCounts = {};
    if (requests.some((r) => r.reason === 'recreated')) addRepair(repairs, 'recreated');
    // Catch up first, so changes that were merely not drained yet are not counted as repairs.
    // A checkpoint CouchDB refuses is left alone until the full read's last page replaces it.
    let catchUp = true;
    try {
      await this.drain(epoch, db, signal);
    } catch (err) {
      if (!isRefusedSince(err)) throw err;
      catchUp = false;
      addRepair(repairs, 'checkpoint');
    }
    const listed = new Set<string>();
    const throttle = requests.find((r) => r.throttle)?.throttle;
    let read = 0;
    await this.drain(epoch, db, signal, {
      fromStart: true,
      onPage: async (changes, rows) => {
        read += rows;
        const states = await index.numberStates(db, changes.map((c) => c.number));
        const kinds: Array<RepairKind | undefined> = changes.map((c, i) => numberRepair(states[i]!, c.value));
        for (const c of changes) if (c.value) listed.add(c.number);
        for (const kind of kinds) if (kind) addRepair(repairs, kind);
        return repairedChanges(changes, kinds);
      },
      // A paced read of a big database takes minutes: keep its normal changes flowing meanwhile.
      // In this order (page committed, then newer changes) a page never overwrites a newer value.
      afterPage: async (rows, last) => {
        await throttle?.(rows);
        if (!last && catchUp) await this.drain(epoch, db, signal);
      },
    });
    if (signal.aborted) throw new Error(`reindex of ${db} aborted`);
    const indexed = new Set([...(await index.numbersOfDb(db)), ...(await index.numbersIndexedUnder(db))]);
    const stale = [...indexed].filter((n) => !listed.has(n));
    for (let i = 0; i < stale.length; i += STALE_CHUNK) {
      const token = outbox.newToken();
      const chunk = stale.slice(i, i + STALE_CHUNK).map((number) => ({ number }));
      await outbox.deliver(token, await index.commit(epoch, db, chunk, undefined, token));
    }
    if (stale.length > 0) addRepair(repairs, 'stale', stale.length);
    await index.setDbInstance(db, JSON.stringify(instance));
    // The full read set the checkpoint where it ended: catch up with what came since.
    await this.drain(epoch, db, signal);
    for (const [kind, n] of Object.entries(repairs)) metrics.repairs.inc({ kind }, n);
    const result: ReindexResult = { db, read, repairs, ms: Date.now() - started };
    const reasons = [...new Set(requests.map((r) => r.reason))];
    if (Object.keys(repairs).length > 0) logger.warn({ db, reasons, read, repairs }, 'reindex repaired the index');
    else logger.info({ db, reasons, read, ms: result.ms }, 'reindex found the index correct');
    return result;
  }

  /**
   * True when the database is no longer the instance that was indexed (deleted and re-created,
   * or purged, unnoticed); otherwise remembers what it is now.
   */
  private async recreated(db: string, signal: AbortSignal): Promise<boolean> {
    const { index, logger } = this.opts;
    const current = await this.instances.read(db, signal);
    const why = instanceChange(parseDbInstance(await index.dbInstance(db)), current);
    if (why) {
      logger.warn({ db, detectedBy: why }, 'numbers database was re-created or purged since it was indexed; re-indexing it from the start');
      return true;
    }
    await index.setDbInstance(db, JSON.stringify(current));
    return false;
  }

  private report(db: string, mapped: MappedBatch): void {
    const { logger, metrics } = this.opts;
    for (const r of mapped.invalid) {
      metrics.invalidDocs.inc({ reason: r.reason });
      logger.warn({ db, id: r.id.slice(0, 100), reason: r.reason, detail: r.detail }, 'invalid number doc skipped');
    }
    for (const r of mapped.warnings) {
      metrics.invalidDocs.inc({ reason: r.reason });
      logger.warn({ db, id: r.id.slice(0, 100), reason: r.reason, detail: r.detail }, 'number doc sanitised');
    }
  }
}

/** CouchDB answers 400 to a `since` it cannot parse (a corrupt checkpoint, or one from another server). */
function isRefusedSince(err: unknown): boolean {
  return err instanceof CouchError && err.kind === 'bad_request';
}
