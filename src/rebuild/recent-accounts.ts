/**
 * A bounded set of account ids, oldest dropped first: the accounts whose doc this process
 * cached recently (so its next rebuild can ask CouchDB for the doc's rev before reading Redis).
 */
export class RecentAccounts {
  private readonly ids = new Set<string>();

  constructor(private readonly max = 10_000) {}

  has(accountId: string): boolean {
    return this.ids.has(accountId);
  }

  add(accountId: string): void {
    this.ids.delete(accountId);
    this.ids.add(accountId);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value!);
  }

  delete(accountId: string): void {
    this.ids.delete(accountId);
  }
}
