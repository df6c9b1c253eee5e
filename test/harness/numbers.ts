import { CouchClient } from '../../src/couch/couch-client.js';
import { CouchError } from '../../src/couch/couch-error.js';
import { accountDbName, isFollowedNumbersDb, numberDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { readTruth } from '../../src/audit/read-truth.js';
import { compareAccount, type AccountDrift } from '../../src/audit/compare-account.js';

/** The generation of a CouchDB revision ('3-abc' -> 3); 0 for no revision. */
export function revGeneration(rev: unknown): number {
  return Number(String(rev ?? '0-').split('-')[0]);
}

/** Test-side writer of number docs and reader of account docs, through real HTTP. */
export class CouchFixture {
  readonly couch: CouchClient;
  /** Databases this fixture created (not those that existed already), for removeCreated(). */
  readonly created = new Set<string>();

  constructor(url: string) {
    this.couch = new CouchClient({ url });
  }

  async createDb(name: string): Promise<void> {
    try {
      await this.couch.request({ method: 'put', db: name });
      this.created.add(name);
    } catch (err) {
      if (!(err instanceof CouchError && err.status === 412)) throw err;
    }
  }

  /** Deletes every database this fixture created: a test on a shared server leaves nothing behind. */
  async removeCreated(): Promise<void> {
    for (const name of this.created) await this.deleteDb(name);
    this.created.clear();
  }

  async deleteDb(name: string): Promise<void> {
    try {
      await this.couch.request({ method: 'delete', db: name });
    } catch (err) {
      if (!(err instanceof CouchError && err.kind === 'db_not_found')) throw err;
    }
  }

  /**
   * Creates these databases and waits (at most 10 s) until _db_updates has reported them, so
   * a daemon started next does not take them for new ones (CouchDB 3 publishes events in
   * 500 ms batches). Servers without _db_updates are not waited for.
   */
  async createDbsReported(names: readonly string[]): Promise<void> {
    let since: unknown;
    try {
      since = (await this.couch.request<{ last_seq: unknown }>({ path: '_db_updates', qs: { feed: 'normal', since: 'now' } })).last_seq;
    } catch {
      since = undefined;
    }
    for (const name of names) await this.createDb(name);
    if (since === undefined) return;
    const waiting = new Set(names);
    for (const deadline = Date.now() + 10_000; waiting.size > 0 && Date.now() < deadline; ) {
      const page = await this.couch.dbUpdates({ since, timeoutMs: 1000 }).catch(() => undefined);
      if (!page) return; // a feed that fails is no reason to fail the test's setup
      for (const update of page.results) waiting.delete(update.db_name);
      since = page.last_seq;
    }
  }

  createAccountDb(accountId: string): Promise<void> {
    return this.createDb(accountDbName(accountId));
  }

  /** Writes (creates or replaces) a number doc in its own numbers database. */
  async putNumber(doc: Record<string, unknown> & { _id: string }, db = numberDbName(doc._id)): Promise<void> {
    for (;;) {
      const current = await this.couch.getDoc(db, doc._id);
      try {
        await this.couch.putDoc(db, { ...doc, ...(current ? { _rev: current._rev } : {}) } as typeof doc);
        return;
      } catch (err) {
        if (!(err instanceof CouchError && err.kind === 'conflict')) throw err;
      }
    }
  }

  async removeNumber(number: string, db = numberDbName(number)): Promise<void> {
    const current = await this.couch.getDoc(db, number);
    if (current) await this.couch.request({ method: 'delete', db, path: encodeURIComponent(number), qs: { rev: current._rev } });
  }

  async accountDoc(accountId: string): Promise<Record<string, unknown> | undefined> {
    try {
      return await this.couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID);
    } catch (err) {
      if (err instanceof CouchError && err.kind === 'db_not_found') return undefined;
      throw err;
    }
  }

  /** The numbers/+NNNN databases of the server (on a shared one, other tests' too). */
  async followedNumbersDbs(): Promise<string[]> {
    return (await this.couch.listDbs('numbers/', 'numbers/\ufff0')).filter(isFollowedNumbersDb);
  }

  /**
   * Followed numbers databases with at least one change: those a daemon that has read them
   * holds a checkpoint for. On a shared server that includes other tests' databases.
   */
  async checkpointableNumbersDbs(): Promise<string[]> {
    const names = await this.followedNumbersDbs();
    const out: string[] = [];
    for (const db of names) if ((await this.couch.changes(db, { since: 0, limit: 1, includeDocs: false })).results.length > 0) out.push(db);
    return out;
  }

  /** Public keys of an account doc (the numbers it lists), sorted. */
  async listed(accountId: string): Promise<string[]> {
    const doc = await this.accountDoc(accountId);
    return Object.keys(doc ?? {})
      .filter((k) => !k.startsWith('_') && !k.startsWith('pvt_'))
      .sort();
  }

  /** Drift of the given accounts against the truth computed from the numbers databases. */
  async drift(accountIds: Iterable<string>): Promise<AccountDrift[]> {
    const truth = await readTruth(this.couch);
    const drifts: AccountDrift[] = [];
    for (const accountId of accountIds) {
      const drift = compareAccount(accountId, truth.get(accountId) ?? new Map(), await this.accountDoc(accountId));
      if (drift) drifts.push(drift);
    }
    return drifts;
  }
}
