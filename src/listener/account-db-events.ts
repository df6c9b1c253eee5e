import { accountDbName } from '../rules/index.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import type { RebuildQueue } from '../queue/rebuild-queue.js';
import type { Logger } from '../log/logger.js';

export interface AccountDbEventsOptions {
  couch: CouchClient;
  index: NumberIndex;
  queue: RebuildQueue;
  logger: Logger;
}

/**
 * Account databases that appear: each gets a rebuild, and one whose request failed is asked
 * again by every rescan (with those of the missing set, kept in Redis across sessions).
 */
export class AccountDbEvents {
  /** Account databases reported created whose rebuild request failed (retried by rescans). */
  private readonly createdUnrequested = new Set<string>();

  constructor(private readonly opts: AccountDbEventsOptions) {}

  /**
   * An account database was created: new, re-created (deleted and created again while we ran,
   * its phone_numbers doc gone) or one that was missing. Rebuild it whatever the missing set
   * says; a re-created database holds none of the revs the doc cache remembers.
   */
  async created(accountId: string): Promise<void> {
    const { index, queue, logger } = this.opts;
    await index.forgetDocs([accountId]);
    await index.removeMissingAccount(accountId);
    logger.info({ account: accountId }, 'account database appeared; rebuilding');
    try {
      await queue.request([accountId]);
      this.createdUnrequested.delete(accountId);
    } catch (err) {
      // Nothing else would ask again: every rescan re-checks these, and the missing set (kept
      // across sessions, when Redis still takes that write).
      this.createdUnrequested.add(accountId);
      await index.addMissingAccount(accountId).catch(() => undefined);
      throw err;
    }
  }

  /** Rebuilds the accounts whose database now exists among those missing or not yet requested. */
  async recheck(signal: AbortSignal): Promise<void> {
    const { couch, index } = this.opts;
    for (const accountId of new Set([...this.createdUnrequested, ...(await index.missingAccounts())])) {
      if (await couch.dbExists(accountDbName(accountId), signal)) await this.created(accountId);
      else this.createdUnrequested.delete(accountId);
    }
  }
}
