/** Redis key layout, all under one configurable prefix. */
export class IndexKeys {
  constructor(readonly prefix: string) {}

  /** Random token written when the index is (re)created; its absence means Redis lost the index. */
  get epoch(): string {
    return `${this.prefix}:idx:epoch`;
  }
  /** Holds the epoch once a full replay completed; workers refuse to rebuild from a partial index. */
  get ready(): string {
    return `${this.prefix}:idx:ready`;
  }
  /** = epoch while the reconcile of every account after a replay of that epoch is still to do. */
  get reconcilePending(): string {
    return `${this.prefix}:idx:reconcile`;
  }
  /** Hash: numbers db name -> JSON of its last processed seq. */
  get checkpoints(): string {
    return `${this.prefix}:ckpt`;
  }
  /** Hash: account id -> token of the batch that last marked it; the rebuild outbox. */
  get dirty(): string {
    return `${this.prefix}:dirty`;
  }
  /** Set of accounts skipped because their database did not exist. */
  get missingAccounts(): string {
    return `${this.prefix}:missing-accounts`;
  }
  /** Owner id of the one listener allowed to write the index (PX ttl); every index write checks it. */
  get listenerLease(): string {
    return `${this.prefix}:lease:listener`;
  }
  /** The phone_numbers doc this daemon last wrote for an account (with its rev), per epoch. */
  doc(epoch: string, accountId: string): string {
    return `${this.docPrefix}${epoch}:${accountId}`;
  }
  get docPrefix(): string {
    return `${this.prefix}:doc:`;
  }
  /** Hash: numbers db name -> JSON of the database instance last indexed (re-creation check). */
  get dbInstances(): string {
    return `${this.prefix}:dbinst`;
  }
  /** List: reindexes asked by commands, taken by the lease holder. */
  get reindexRequests(): string {
    return `${this.prefix}:reindex:requests`;
  }
  /** List: outcomes of one command's reindex requests (1 h TTL). */
  reindexResult(id: string): string {
    return `${this.prefix}:reindex:result:${id}`;
  }
  /** JSON of the last scheduled drift audit. */
  get auditLast(): string {
    return `${this.prefix}:audit:last`;
  }
  number(number: string): string {
    return `${this.prefix}:idx:num:${number}`;
  }
  account(accountId: string): string {
    return `${this.prefix}:idx:acct:${accountId}`;
  }
  db(dbName: string): string {
    return `${this.prefix}:idx:db:${dbName}`;
  }

  /** SCAN patterns of the per-number, per-account and per-database keys of the index (any epoch). */
  get indexKeyPatterns(): string[] {
    return [this.number(''), this.account(''), this.db('')].map((p) => `${escapeGlob(p)}*`);
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
