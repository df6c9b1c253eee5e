import { accountDbName, buildAccountDoc, gregorianSeconds, isAccountId, PHONE_NUMBERS_DOC_ID } from '../spec/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

const MAX_CACHED_DOC_CHARS = 512 * 1024;

export type RebuildOutcome = 'written' | 'unchanged' | 'skipped_missing_db';

export class InvalidAccountError extends Error {
  constructor(accountId: string) {
    super(`not a valid account id: ${JSON.stringify(accountId).slice(0, 80)}`);
    this.name = 'InvalidAccountError';
  }
}

/** The index is being replayed; the job must wait instead of writing a partial doc. */
export class IndexNotReadyError extends Error {
  constructor() {
    super('the number index is being rebuilt');
    this.name = 'IndexNotReadyError';
  }
}

export interface AccountRebuilderOptions {
  couch: CouchClient;
  index: NumberIndex;
  logger: Logger;
  metrics?: Metrics;
  /** Writes attempted per rebuild before giving up on repeated 409s (the job then retries). */
  maxConflictRetries?: number;
  /** Test hook: runs between reading the index and writing, to widen race windows. */
  beforeWrite?: (accountId: string) => Promise<void>;
  now?: () => number;
}

/**
 * Rebuilds one account's phone_numbers doc from the index: cost is proportional to the numbers
 * the account lists. Never creates the account database; a 409 re-reads and recomputes.
 */
export class AccountRebuilder {
  constructor(private readonly opts: AccountRebuilderOptions) {}

  async rebuild(accountId: string, signal?: AbortSignal): Promise<RebuildOutcome> {
    if (!isAccountId(accountId)) throw new InvalidAccountError(accountId);
    const { couch, index, logger, metrics } = this.opts;
    const db = accountDbName(accountId);
    const log = logger.child({ account: accountId, db });
    const maxAttempts = this.opts.maxConflictRetries ?? 10;

    for (let attempt = 1; ; attempt++) {
      // Read on every attempt from a complete index only: Redis may have lost its data since
      // the last look, and an empty or half-replayed index would wipe the account's numbers.
      const snapshot = await index.readyEntriesOf(accountId);
      if (!snapshot) throw new IndexNotReadyError();
      const { entries } = snapshot;
      // The doc as this daemon last wrote it saves a read per rebuild. If anyone wrote it since,
      // its rev is stale: the write gets a 409 and the next attempt reads CouchDB.
      let existing = attempt === 1 ? parseCachedDoc(snapshot.cachedDoc) : undefined;
      if (!existing) {
        try {
          existing = await couch.getDoc(db, PHONE_NUMBERS_DOC_ID, signal);
        } catch (err) {
          if (err instanceof CouchError && err.kind === 'db_not_found') return this.skipMissing(accountId, log);
          throw err;
        }
      }
      const now = gregorianSeconds((this.opts.now ?? Date.now)());
      const { doc, changed } = buildAccountDoc({ accountId, existing, entries, now });
      // Nothing to remove and nothing to list: an account without numbers gets no empty doc.
      if (!changed || (!existing && entries.size === 0)) return 'unchanged';
      await this.opts.beforeWrite?.(accountId);
      // An index reset since the read voids it; the replay's reconcile rebuilds this account.
      if ((await index.readyEpoch()) !== snapshot.epoch) throw new IndexNotReadyError();
      try {
        const { rev } = await couch.putDoc(db, doc as Record<string, unknown> & { _id: string }, signal);
        const json = JSON.stringify({ ...doc, _rev: rev });
        // Huge accounts are rare and their rebuild is dominated by the write anyway.
        if (json.length <= MAX_CACHED_DOC_CHARS) await index.cacheDoc(snapshot.epoch, accountId, json);
        else await index.forgetDocs([accountId]);
        log.debug({ numbers: entries.size }, 'account doc written');
        return 'written';
      } catch (err) {
        if (err instanceof CouchError && err.kind === 'db_not_found') return this.skipMissing(accountId, log);
        if (!(err instanceof CouchError && err.kind === 'conflict') || attempt >= maxAttempts) throw err;
        metrics?.conflictRetries.inc();
        log.debug({ attempt }, 'conflict writing account doc; re-reading');
      }
    }
  }

  private async skipMissing(accountId: string, log: Logger): Promise<RebuildOutcome> {
    await this.opts.index.forgetDocs([accountId]);
    await this.opts.index.addMissingAccount(accountId);
    log.warn('account database does not exist; skipped until it is created');
    return 'skipped_missing_db';
  }
}

function parseCachedDoc(json: string | undefined): Record<string, unknown> | undefined {
  if (json === undefined) return undefined;
  try {
    const doc: unknown = JSON.parse(json);
    return doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
