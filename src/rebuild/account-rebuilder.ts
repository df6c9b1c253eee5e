import { accountDbName, buildAccountDoc, gregorianSeconds, isAccountId, PHONE_NUMBERS_DOC_ID } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { AccountSnapshot, NumberIndex } from '../index/number-index.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AccountDocCache, OpenedEntry } from './doc-cache.js';
import { getCurrentDoc, headCurrentDoc, provenByHead, readCurrentDoc, type CurrentDoc } from './current-doc.js';
import { RecentAccounts } from './recent-accounts.js';

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
  /** The cache of account docs; without it every rebuild reads the doc from CouchDB. */
  docCache?: AccountDocCache;
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
 * the account lists. Starts from the winning revision in CouchDB (the cached doc only when a
 * HEAD proves it is that revision), writes on it, then deletes the losing conflict revisions it
 * saw. Never creates the account database; a 409 re-reads and recomputes.
 */
export class AccountRebuilder {
  /** Accounts whose doc this process cached lately: their rebuild asks CouchDB for the rev first. */
  private readonly recent = new RecentAccounts();

  constructor(private readonly opts: AccountRebuilderOptions) {}

  async rebuild(accountId: string, signal?: AbortSignal): Promise<RebuildOutcome> {
    if (!isAccountId(accountId)) throw new InvalidAccountError(accountId);
    const { couch, index, docCache, logger, metrics } = this.opts;
    const db = accountDbName(accountId);
    const log = logger.child({ account: accountId, db });
    const maxAttempts = this.opts.maxConflictRetries ?? 10;
    // The cached entry this rebuild saw: its write may replace that one even if it is newer.
    let seenRev: string | undefined;

    for (let attempt = 1; ; attempt++) {
      // Read on every attempt from a complete index only: Redis may have lost its data since
      // the last look, and an empty or half-replayed index would wipe the account's numbers.
      let snapshot: AccountSnapshot;
      let cached: OpenedEntry | undefined;
      let current: CurrentDoc;
      // True when nothing was awaited between the index read and the write (see the epoch check).
      let snapshotFresh = false;
      try {
        if (attempt === 1 && docCache && this.recent.has(accountId)) {
          // Its doc is most likely cached: the HEAD goes first, so that once it proves the cached
          // doc current, the write follows the index read with nothing awaited in between.
          const head = await headCurrentDoc(couch, db, signal);
          snapshot = await this.readySnapshot(accountId);
          cached = docCache.open(snapshot.epoch, accountId, snapshot.cachedDoc);
          const proven = provenByHead(head, cached.doc);
          snapshotFresh = proven !== undefined;
          if (!proven) this.recent.delete(accountId);
          current = proven ?? (await getCurrentDoc(couch, db, signal));
        } else {
          snapshot = await this.readySnapshot(accountId);
          // After a 409 the cached doc is known stale: read CouchDB.
          cached = attempt === 1 ? docCache?.open(snapshot.epoch, accountId, snapshot.cachedDoc) : undefined;
          current = await readCurrentDoc(couch, db, cached?.doc, signal);
        }
      } catch (err) {
        if (err instanceof CouchError && err.kind === 'db_not_found') return this.skipMissing(accountId, log);
        throw err;
      }
      const { entries, epoch } = snapshot;
      seenRev ??= cached?.seenRev;
      const existing = current.doc;
      const now = gregorianSeconds((this.opts.now ?? Date.now)());
      const { doc, changed } = buildAccountDoc({ accountId, existing, entries, now });
      // Nothing to remove and nothing to list: an account without numbers gets no empty doc.
      if (!changed || (!existing && entries.size === 0)) {
        // A doc just read and found right is cached too, so the next rebuild needs only a HEAD.
        if (existing && current.source === 'couch' && current.conflicts.length === 0) await this.cache(epoch, accountId, existing, seenRev);
        await this.removeConflicts(db, current.conflicts, log, signal);
        return 'unchanged';
      }
      if (this.opts.beforeWrite) {
        await this.opts.beforeWrite(accountId);
        snapshotFresh = false;
      }
      // An index reset since the read voids it; the replay's reconcile rebuilds this account.
      // A read that nothing awaited separates from the write is as recent as this check would be.
      if (!snapshotFresh && (await index.readyEpoch()) !== epoch) throw new IndexNotReadyError();
      try {
        const { rev } = await couch.putDoc(db, doc as Record<string, unknown> & { _id: string }, signal);
        await this.cache(epoch, accountId, { ...doc, _rev: rev }, seenRev);
        log.debug({ numbers: entries.size }, 'account doc written');
      } catch (err) {
        if (err instanceof CouchError && err.kind === 'db_not_found') return this.skipMissing(accountId, log);
        if (!(err instanceof CouchError && err.kind === 'conflict') || attempt >= maxAttempts) throw err;
        metrics?.conflictRetries.inc();
        log.debug({ attempt }, 'conflict writing account doc; re-reading');
        continue;
      }
      await this.removeConflicts(db, current.conflicts, log, signal);
      return 'written';
    }
  }

  /** Reads the account's entries from a complete index (read on every attempt: Redis may have lost its data since). */
  private async readySnapshot(accountId: string): Promise<AccountSnapshot> {
    const snapshot = await this.opts.index.readyEntriesOf(accountId);
    if (!snapshot) throw new IndexNotReadyError();
    return snapshot;
  }

  private async cache(epoch: string, accountId: string, doc: Record<string, unknown>, seenRev: string | undefined): Promise<void> {
    if (await this.opts.docCache?.store(epoch, accountId, doc, seenRev)) this.recent.add(accountId);
  }

  /**
   * Deletes the losing revisions seen with the winner, after the winner is right: readers only
   * ever see the winner, but a left-over branch would win again if the winner were deleted.
   * One that is already gone (someone else removed it) is ignored.
   */
  private async removeConflicts(db: string, revs: readonly string[], log: Logger, signal?: AbortSignal): Promise<void> {
    if (revs.length === 0) return;
    const results = await this.opts.couch.bulkDocs(
      db,
      revs.map((rev) => ({ _id: PHONE_NUMBERS_DOC_ID, _rev: rev, _deleted: true })),
      signal,
    );
    const removed = results.filter((r) => !r.error).length;
    this.opts.metrics?.conflictsRemoved.inc(removed);
    log.info({ revs, removed }, 'deleted losing conflict revisions of the account doc');
  }

  private async skipMissing(accountId: string, log: Logger): Promise<RebuildOutcome> {
    await this.opts.index.forgetDocs([accountId]);
    await this.opts.index.addMissingAccount(accountId);
    log.warn('account database does not exist; skipped until it is created');
    return 'skipped_missing_db';
  }
}
