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
  number(number: string): string {
    return `${this.prefix}:idx:num:${number}`;
  }
  account(accountId: string): string {
    return `${this.prefix}:idx:acct:${accountId}`;
  }
  db(dbName: string): string {
    return `${this.prefix}:idx:db:${dbName}`;
  }
}
