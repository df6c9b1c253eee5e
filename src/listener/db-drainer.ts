import type { CouchClient } from '../couch/couch-client.js';
import { CouchError } from '../couch/couch-error.js';
import { CheckpointMovedError, type IndexChange, type NumberIndex, type ReadFrom } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { ByteBudget } from '../util/byte-budget.js';
import { PageMapper, type MappedBatch } from './change-mapper.js';
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

/** Passes of one drain that find the checkpoint moved under them before it gives up (and is retried). */
const MAX_CHECKPOINT_RETRIES = 3;

/** Where the next page's commit expects the checkpoint (none: a full read, which does not check). */
interface PageCursor {
  readFrom?: ReadFrom;
}

/** Defaults of NUMBERS_SYNC_MAX_DOC_BYTES and NUMBERS_SYNC_READ_BUFFER_BYTES (src/config/options.ts). */
export const DEFAULT_MAX_DOC_BYTES = 1024 * 1024;
export const DEFAULT_READ_BUFFER_BYTES = 32 * 1024 * 1024;

/** Failures of a one-row page before that row is read on its own (see pageFailed). */
const ROW_FAILURES = 2;

export interface DbDrainerOptions {
  couch: CouchClient;
  index: NumberIndex;
  outbox: RebuildOutbox;
  logger: Logger;
  metrics: Metrics;
  batchSize: number;
  /** A doc above this many bytes is quarantined: listed nowhere (its _changes row is never read whole). */
  maxDocBytes?: number;
  /** Bytes of pages read at once by all drains of this drainer together. */
  readBufferBytes?: number;
  /** Drains run in parallel; each page may hold readBufferBytes / drainConcurrency. */
  drainConcurrency?: number;
  /** Test hook: called after each committed batch. */
  afterBatch?: (db: string, rows: number) => Promise<void> | void;
}

interface Page {
  mapped: MappedBatch;
  rows: number;
  /** Checkpoint after this page. */
  lastSeq: unknown;
  pending?: number;
  bytes: number;
  /** Reading stopped early: at the page's byte bound, or before a row above maxDocBytes. */
  cut?: 'bytes' | 'oversize';
}

/**
 * Reads one numbers database's _changes from its checkpoint to the end, in pages bounded in
 * rows (batchSize) and in bytes. Per page: map each row as it streams in (pure) -> commit to
 * the index with the page's checkpoint (atomic) -> enqueue the affected accounts. A crash
 * anywhere replays at most one page, and replay is idempotent. The same loop serves the
 * reindex (a full read from the start, compared with the index).
 *
 * Memory: every page reserves its byte bound from a budget shared by all drains, so parallel
 * drains together hold at most readBufferBytes of rows. A page cut by its byte bound ends
 * after its last whole row and the next request asks for that many rows; a row above
 * maxDocBytes is never read whole but quarantined (see quarantineNext), so no doc can make a
 * page fail again and again.
 */
export class DbDrainer {
  private readonly maxDocBytes: number;
  private readonly pageBytes: number;
  private readonly budget: ByteBudget;
  /** Databases whose last page failed: the rows to ask next and failures at one row. */
  private readonly failing = new Map<string, { limit: number; failures: number }>();
  private readonly instances: DbInstanceReader;
  /**
   * Per database, the checkpoint this drainer last committed (and in which epoch): where the
   * next drain starts without reading it from Redis. Safe because every page's commit compares
   * the stored checkpoint with where the page was read from: if another writer moved it or
   * Redis lost it, the commit is refused and the drain reads the stored one.
   */
  private readonly committed = new Map<string, { epoch: string; seq: unknown }>();

  constructor(private readonly opts: DbDrainerOptions) {
    this.maxDocBytes = opts.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES;
    const buffer = opts.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES;
    // A page must fit any doc below the limit, or a database could stop at such a doc.
    this.pageBytes = Math.max(this.maxDocBytes, Math.floor(buffer / (opts.drainConcurrency ?? 16)));
    this.budget = new ByteBudget(Math.max(buffer, this.pageBytes));
    this.instances = new DbInstanceReader(opts.couch);
  }

  /** One scheduled task of a database: forget it, check it is the same instance, drain or reindex it. */
  async run(epoch: string, db: string, task: DrainTask, signal: AbortSignal): Promise<void> {
    let requests = task.reindex ?? [];
    // A database reported created that the index knows nothing of holds nothing stale: a plain
    // drain reads it (the reindex is for a name reused by a database deleted unnoticed).
    if (requests.length > 0 && requests.every((r) => r.reason === 'created') && !task.forget && (await this.indexHoldsNothingOf(db))) requests = [];
    if (task.forget) {
      // Reported deleted, but there again: re-created since. Re-indexing removes what only the
      // old database held after reading the new one; forgetting first would take every number
      // out of its accounts' docs until the new database is read (CouchDB 3 reports a delete
      // and a re-create together, in one _db_updates batch).
      let exists: boolean;
      try {
        exists = await this.opts.couch.dbExists(db, signal);
        if (!exists) await this.forget(epoch, db);
      } catch (err) {
        // Whoever asked (the sweep, a command) waits for an answer: a retry is only a plain drain.
        for (const r of requests) r.done?.(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
      if (!exists) {
        for (const r of requests) r.done?.(new Error(`${db} was deleted: its numbers were removed from the index`));
        return;
      }
      if (requests.length === 0) requests = [{ reason: 'recreated' }];
    }
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
    if (pass.fromStart) return this.drainFrom(epoch, db, 0, signal, pass, {});
    let remembered = this.committed.get(db);
    if (remembered?.epoch !== epoch) remembered = undefined;
    for (let attempt = 1; ; ) {
      const checkpoint = remembered ? remembered.seq : await this.opts.index.checkpoint(db);
      const cursor: PageCursor = { readFrom: { checkpoint } };
      try {
        await this.drainFrom(epoch, db, checkpoint ?? 0, signal, pass, cursor);
        // Nothing committed, so no compare-and-set checked the remembered checkpoint: check it
        // here, or a checkpoint Redis lost would not be read again until the next change.
        if (remembered && cursor.readFrom?.checkpoint === checkpoint && !signal.aborted && !sameCheckpoint(await this.opts.index.checkpoint(db), checkpoint)) {
          throw new CheckpointMovedError(db);
        }
        return;
      } catch (err) {
        if (!(err instanceof CheckpointMovedError)) throw err;
        this.committed.delete(db);
        if (remembered) {
          // What this drainer last committed is no longer stored: read where it is now.
          this.opts.logger.debug({ db }, 'the checkpoint moved since this drainer committed it; reading it from Redis');
          remembered = undefined;
          continue;
        }
        if (attempt++ >= MAX_CHECKPOINT_RETRIES) throw err;
        this.opts.logger.warn({ db }, 'the checkpoint is not where this drain read from (Redis lost its last writes?); reading again from it');
      }
    }
  }

  /**
   * The page loop: applies every change of `db` after `since`, until the end of its feed. With
   * `cursor.readFrom`, each page is committed only if the checkpoint is still where the page
   * was read from (a lost earlier page makes it CheckpointMovedError, never a gap).
   */
  async drainFrom(epoch: string, db: string, since: unknown, signal: AbortSignal, pass: DrainPass, cursor: PageCursor): Promise<void> {
    const { metrics, batchSize } = this.opts;
    let limit = this.failing.get(db)?.limit ?? batchSize;
    while (!signal.aborted) {
      if (this.rowByRow(db)) {
        since = await this.quarantineNext(epoch, db, since, signal, pass, cursor);
        this.failing.delete(db);
        continue;
      }
      const release = await this.budget.acquire(this.pageBytes, signal);
      let page: Page;
      let last: boolean;
      try {
        try {
          page = await this.readPage(db, since, limit, signal);
        } catch (err) {
          if (!signal.aborted && !(err instanceof CouchError && !err.retryable)) this.pageFailed(db, limit);
          throw err;
        }
        this.failing.delete(db);
        last = !page.cut && page.rows < limit;
        // A full read commits its empty last page too: that moves the checkpoint to where it ended.
        if (page.rows > 0 || (pass.fromStart && last)) await this.apply(epoch, db, since, page, pass, last, cursor);
      } finally {
        release();
      }
      // After the page's bytes are released: the hook may drain (and reserve) itself.
      if (page.rows > 0 || (pass.fromStart && last)) await pass.afterPage?.(page.rows, last);
      since = page.lastSeq;
      if (page.cut === 'oversize' || (page.cut === 'bytes' && page.rows === 0)) {
        since = await this.quarantineNext(epoch, db, since, signal, pass, cursor);
        // Big docs come in groups: ask for few rows (a server may load a whole page of them).
        limit = Math.max(1, page.rows);
        continue;
      }
      if (page.cut === 'bytes') {
        // Ask for what fitted, so the next request is not abandoned half-way again.
        limit = page.rows;
        continue;
      }
      metrics.dbLag.set({ db }, page.pending ?? 0);
      if (last) return;
      // Grow back after a cut only while pages stay well inside their bound (docs got smaller).
      if (page.bytes * 2 < this.pageBytes) limit = Math.min(batchSize, limit * 2);
    }
  }

  /**
   * A page that fails (timeout, 5xx, unreadable row) is asked again by the drain's retry with
   * a quarter of the rows; a single row failing ROW_FAILURES times is then read on its own path
   * (quarantineNext), which applies it if its doc can be read, quarantines it if too large, and
   * otherwise fails without moving (the server is down: retried with backoff).
   */
  private pageFailed(db: string, limit: number): void {
    const previous = this.failing.get(db);
    this.failing.set(db, { limit: Math.max(1, Math.floor(limit / 4)), failures: limit === 1 ? (previous?.failures ?? 0) + 1 : 0 });
  }

  private rowByRow(db: string): boolean {
    return (this.failing.get(db)?.failures ?? 0) >= ROW_FAILURES;
  }

  /**
   * Removes every number the index holds for a deleted database, then its checkpoint. Numbers
   * are found in its set and by key (as the reindex does): once forgotten, the database is
   * swept no more, so an entry its set lacks would stay in its accounts for good.
   */
  async forget(epoch: string, db: string): Promise<number> {
    const { index, outbox } = this.opts;
    const numbers = [...new Set([...(await index.numbersOfDb(db)), ...(await index.numbersIndexedUnder(db))])];
    for (let i = 0; i < numbers.length; i += 500) {
      const chunk = numbers.slice(i, i + 500).map((number) => ({ number }));
      await outbox.commit((token) => index.commit(epoch, db, chunk, undefined, token));
    }
    await index.forgetDb(db);
    this.committed.delete(db);
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
        const states = await index.numberStates(
          db,
          changes.map((c) => c.number),
        );
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
      const chunk = stale.slice(i, i + STALE_CHUNK).map((number) => ({ number }));
      await outbox.commit((token) => index.commit(epoch, db, chunk, undefined, token));
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

  private async indexHoldsNothingOf(db: string): Promise<boolean> {
    const { index } = this.opts;
    return (await index.checkpoint(db)) === undefined && (await index.numbersOfDb(db)).length === 0;
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

  private async readPage(db: string, since: unknown, limit: number, signal: AbortSignal): Promise<Page> {
    const mapper = new PageMapper(db);
    const read = await this.opts.couch.changesBounded(db, {
      since,
      limit,
      includeDocs: true,
      maxRowBytes: this.maxDocBytes,
      maxBytes: this.pageBytes,
      signal,
      onRow: (row) => mapper.add(row),
    });
    return { mapped: mapper.result(), rows: read.rows, bytes: read.bytes, lastSeq: read.lastSeq, pending: read.pending, cut: read.cut };
  }

  private async apply(epoch: string, db: string, since: unknown, page: Page, pass: DrainPass, last: boolean, cursor: PageCursor): Promise<void> {
    const { index, outbox, metrics } = this.opts;
    this.report(db, page.mapped);
    const changes = pass.onPage ? await pass.onPage(page.mapped.changes, page.rows) : page.mapped.changes;
    const seq = pass.fromStart && !last ? undefined : page.lastSeq;
    const affected = await outbox.commit(async (token) => {
      let marked: string[];
      try {
        marked = await index.commit(epoch, db, changes, seq, token, cursor.readFrom);
      } catch (err) {
        // Lease lost, index lost, or a refused page: what is stored is not known any more.
        this.committed.delete(db);
        throw err;
      }
      if (seq !== undefined) this.committed.set(db, { epoch, seq });
      if (cursor.readFrom && seq !== undefined) cursor.readFrom = { checkpoint: seq };
      metrics.changesProcessed.inc({ db }, page.rows);
      return marked;
    });
    this.opts.logger.debug({ db, since, rows: page.rows, accounts: affected.length, cut: page.cut }, 'changes page applied');
    await this.opts.afterBatch?.(db, page.rows);
  }

  /**
   * The row after `since` is above maxDocBytes: learn its id and seq without its doc, then read
   * the doc on its own, abandoned past the limit. Too large: quarantined (listed nowhere,
   * reported once for this revision); it shrank meanwhile: applied like any row. Either way
   * the checkpoint moves past the row. Returns the new checkpoint.
   */
  private async quarantineNext(epoch: string, db: string, since: unknown, signal: AbortSignal, pass: DrainPass, cursor: PageCursor): Promise<unknown> {
    const { couch } = this.opts;
    const next = await couch.changes(db, { since, limit: 1, includeDocs: false, signal });
    const row = next.results[0];
    if (!row) return since;
    const release = await this.budget.acquire(this.maxDocBytes, signal);
    try {
      const mapper = new PageMapper(db);
      if (row.deleted) mapper.add(row);
      else {
        const doc = await couch.getDocBounded(db, row.id, this.maxDocBytes, signal);
        if (doc === 'too_large') mapper.quarantine(row.id, row.changes?.[0]?.rev, `doc is larger than ${this.maxDocBytes} bytes (NUMBERS_SYNC_MAX_DOC_BYTES)`);
        else mapper.add(doc ? { ...row, doc } : { ...row, deleted: true });
      }
      await this.apply(epoch, db, since, { mapped: mapper.result(), rows: 1, bytes: 0, lastSeq: next.last_seq }, pass, false, cursor);
    } finally {
      release();
    }
    await pass.afterPage?.(1, false);
    return next.last_seq;
  }

  /** One log line and one count per reason for each problem doc, however many bad parts it has. */
  private report(db: string, mapped: MappedBatch): void {
    const { logger, metrics } = this.opts;
    for (const r of mapped.invalid) {
      metrics.invalidDocs.inc({ reason: r.reason });
      logger.warn({ db, id: r.id.slice(0, 100), rev: r.rev, reason: r.reason, detail: r.detail }, 'invalid number doc skipped');
    }
    for (const w of mapped.warnings) {
      for (const reason of Object.keys(w.reasons)) metrics.invalidDocs.inc({ reason });
      logger.warn({ db, id: w.id.slice(0, 100), rev: w.rev, reasons: w.reasons, samples: w.samples }, 'number doc sanitised');
    }
  }
}

/** Checkpoints are opaque: equal when they serialise alike (as they are stored). */
function sameCheckpoint(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** CouchDB answers 400 to a `since` it cannot parse (a corrupt checkpoint, or one from another server). */
function isRefusedSince(err: unknown): boolean {
  return err instanceof CouchError && err.kind === 'bad_request';
}
