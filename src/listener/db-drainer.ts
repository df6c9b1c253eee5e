import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildOutbox } from '../queue/outbox.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { mapChanges, type MappedBatch } from './change-mapper.js';

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
 */
export class DbDrainer {
  constructor(private readonly opts: DbDrainerOptions) {}

  async drain(epoch: string, db: string, signal: AbortSignal): Promise<void> {
    const { couch, index, outbox, metrics, batchSize } = this.opts;
    let since: unknown = (await index.checkpoint(db)) ?? 0;
    while (!signal.aborted) {
      const page = await couch.changes(db, { since, limit: batchSize, includeDocs: true, signal });
      if (page.results.length === 0) {
        metrics.dbLag.set({ db }, 0);
        return;
      }
      const mapped = mapChanges(db, page.results);
      this.report(db, mapped);
      const token = outbox.newToken();
      const affected = await index.commit(epoch, db, mapped.changes, page.last_seq, token);
      metrics.changesProcessed.inc({ db }, page.results.length);
      await outbox.deliver(token, affected);
      this.opts.logger.debug({ db, since, rows: page.results.length, accounts: affected.length }, 'changes page applied');
      await this.opts.afterBatch?.(db, page.results.length);
      since = page.last_seq;
      metrics.dbLag.set({ db }, typeof page.pending === 'number' ? page.pending : 0);
      if (page.results.length < batchSize) return;
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
    this.opts.metrics.dbLag.remove({ db });
    if (numbers.length > 0) this.opts.logger.info({ db, numbers: numbers.length }, 'numbers database deleted; its numbers were removed');
    return numbers.length;
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
