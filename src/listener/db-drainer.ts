import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { CouchError } from '../couch/couch-error.js';
import { ByteBudget } from '../util/byte-budget.js';
import { PageMapper, type MappedBatch } from './change-mapper.js';

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
 * anywhere replays at most one page, and replay is idempotent.
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

  constructor(private readonly opts: DbDrainerOptions) {
    this.maxDocBytes = opts.maxDocBytes ?? DEFAULT_MAX_DOC_BYTES;
    const buffer = opts.readBufferBytes ?? DEFAULT_READ_BUFFER_BYTES;
    // A page must fit any doc below the limit, or a database could stop at such a doc.
    this.pageBytes = Math.max(this.maxDocBytes, Math.floor(buffer / (opts.drainConcurrency ?? 16)));
    this.budget = new ByteBudget(Math.max(buffer, this.pageBytes));
  }

  async drain(epoch: string, db: string, signal: AbortSignal): Promise<void> {
    await this.drainFrom(epoch, db, (await this.opts.index.checkpoint(db)) ?? 0, signal);
  }

  /** The page loop: applies every change of `db` after `since`, until the end of its feed. */
  async drainFrom(epoch: string, db: string, since: unknown, signal: AbortSignal): Promise<void> {
    const { metrics, batchSize } = this.opts;
    let limit = this.failing.get(db)?.limit ?? batchSize;
    while (!signal.aborted) {
      if (this.rowByRow(db)) {
        since = await this.quarantineNext(epoch, db, since, signal);
        this.failing.delete(db);
        continue;
      }
      const release = await this.budget.acquire(this.pageBytes, signal);
      let page: Page;
      try {
        try {
          page = await this.readPage(db, since, limit, signal);
        } catch (err) {
          if (!signal.aborted && !(err instanceof CouchError && !err.retryable)) this.pageFailed(db, limit);
          throw err;
        }
        this.failing.delete(db);
        if (page.rows > 0) await this.apply(epoch, db, since, page);
      } finally {
        release();
      }
      since = page.lastSeq;
      if (page.cut === 'oversize' || (page.cut === 'bytes' && page.rows === 0)) {
        since = await this.quarantineNext(epoch, db, since, signal);
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
      if (page.rows < limit) return;
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
    this.opts.metrics.dbLag.remove({ db });
    if (numbers.length > 0) this.opts.logger.info({ db, numbers: numbers.length }, 'numbers database deleted; its numbers were removed');
    return numbers.length;
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

  private async apply(epoch: string, db: string, since: unknown, page: Page): Promise<void> {
    const { index, outbox, metrics } = this.opts;
    this.report(db, page.mapped);
    const token = outbox.newToken();
    const affected = await index.commit(epoch, db, page.mapped.changes, page.lastSeq, token);
    metrics.changesProcessed.inc({ db }, page.rows);
    await outbox.deliver(token, affected);
    this.opts.logger.debug({ db, since, rows: page.rows, accounts: affected.length, cut: page.cut }, 'changes page applied');
    await this.opts.afterBatch?.(db, page.rows);
  }

  /**
   * The row after `since` is above maxDocBytes: learn its id and seq without its doc, then read
   * the doc on its own, abandoned past the limit. Too large: quarantined (listed nowhere,
   * reported once for this revision); it shrank meanwhile: applied like any row. Either way
   * the checkpoint moves past the row. Returns the new checkpoint.
   */
  private async quarantineNext(epoch: string, db: string, since: unknown, signal: AbortSignal): Promise<unknown> {
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
      await this.apply(epoch, db, since, { mapped: mapper.result(), rows: 1, bytes: 0, lastSeq: next.last_seq });
    } finally {
      release();
    }
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
