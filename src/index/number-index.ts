import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EntryData } from '../rules/index.js';
import { IndexKeys } from './keys.js';
import { runScript, SCRIPTS } from './lua-scripts.js';

export { CheckpointMovedError, IndexLostError, LeaseLostError } from './index-errors.js';
import { CheckpointMovedError, SCRIPT_ERROR_CODES, scriptErrorCode } from './index-errors.js';

/** What the index stores per number: where it lives, who lists it, and its account-independent entry. */
export interface IndexedNumber {
  db: string;
  accounts: string[];
  entry: EntryData;
}

/** An account's entries read from a complete index, with the doc this daemon last wrote for it. */
export interface AccountSnapshot {
  epoch: string;
  entries: Map<string, EntryData>;
  /** JSON of the phone_numbers doc as last written by a rebuild in this epoch, if still cached. */
  cachedDoc?: string;
}

/**
 * Lifetime of a cached account doc. Bounds how long a doc changed behind the daemon's back (by
 * hand, or a database re-created unnoticed) can stay unrepaired when a rebuild finds nothing to
 * change; `rebuild`, `reconcile` and `verify --fix` drop the cache of the accounts they rebuild.
 */
const DOC_CACHE_TTL_S = 3600;

/**
 * Where a page was read from: its commit is refused (CheckpointMovedError) unless the stored
 * checkpoint still is `checkpoint` (undefined: none stored), so a page can never move the
 * checkpoint past an earlier page that Redis lost.
 */
export interface ReadFrom {
  checkpoint: unknown;
}

/** One number's new state: `value` undefined means the number is listed nowhere (removed from the index). */
export interface IndexChange {
  number: string;
  value?: IndexedNumber;
}

/**
 * What binds an index view to the listener lease: every write of the listener (pages,
 * checkpoints, outbox marks, epoch, ready and reconcile state) is refused by its Lua script
 * unless the lease key still holds `owner` (LeaseLostError).
 */
export interface IndexFence {
  owner: string;
  /** Test hooks around commits: a page read but not applied / applied but not yet enqueued. */
  beforeCommit?: (db: string) => Promise<void> | void;
  afterCommit?: (db: string) => Promise<void> | void;
}

/** Keys unlinked per script call when a new epoch drops an old index. */
const UNLINK_BATCH = 500;

/**
 * The Redis-side index: number -> listing accounts + entry, account -> numbers, db -> numbers,
 * per-db checkpoints and the dirty-account outbox. It lets a rebuild cost O(numbers of the account).
 * Reads need nothing; the listener's writes go through a view fenced by its lease (`fencedBy`).
 */
export class NumberIndex {
  readonly keys: IndexKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly fence?: IndexFence,
  ) {
    this.keys = new IndexKeys(prefix);
  }

  /** The same index, whose writes are refused once `fence.owner` no longer holds the listener lease. */
  fencedBy(fence: IndexFence): NumberIndex {
    return new NumberIndex(this.redis, this.keys.prefix, fence);
  }

  private get owner(): string {
    if (!this.fence) throw new Error('index writes need the listener lease: use a view from NumberIndex.fencedBy(owner)');
    return this.fence.owner;
  }

  /** The current epoch, or undefined when the index does not exist (first start or lost). */
  async epoch(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.epoch)) ?? undefined;
  }

  /**
   * Starts a new, empty index generation: readiness, checkpoints and every number, account and
   * database key an old generation left (only the epoch key may have been lost) are unlinked
   * first, in batches, so a database deleted meanwhile cannot stay indexed. The epoch is set
   * last: a crash half-way leaves no epoch, and the next session drops the rest.
   * Returns the new epoch and the number of old keys dropped.
   */
  async resetEpoch(): Promise<string> {
    const k = this.keys;
    const lease = k.listenerLease;
    await runScript(this.redis, SCRIPTS.unlinkKeys, [lease, k.epoch, k.ready, k.reconcilePending, k.checkpoints], [this.owner]);
    for (const pattern of k.indexKeyPatterns) {
      let cursor = '0';
      do {
        const [next, found] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (let i = 0; i < found.length; i += UNLINK_BATCH) {
          await runScript(this.redis, SCRIPTS.unlinkKeys, [lease, ...found.slice(i, i + UNLINK_BATCH)], [this.owner]);
        }
      } while (cursor !== '0');
    }
    const epoch = randomUUID();
    await runScript(this.redis, SCRIPTS.beginEpoch, [lease, k.epoch, k.ready, k.checkpoints, k.reconcilePending], [this.owner, epoch]);
    return epoch;
  }

  /** Marks the replay of `epoch` complete and, atomically with it, the reconcile of every account pending. */
  async markReady(epoch: string): Promise<void> {
    const k = this.keys;
    await runScript(this.redis, SCRIPTS.markReady, [k.listenerLease, k.epoch, k.ready, k.reconcilePending], [this.owner, epoch]);
  }

  /** True while the reconcile after the replay of `epoch` has not enqueued every account yet. */
  async reconcilePending(epoch: string): Promise<boolean> {
    return (await this.redis.get(this.keys.reconcilePending)) === epoch;
  }

  /** Called once every account database was enqueued for the reconcile of `epoch`. */
  async finishReconcile(epoch: string): Promise<void> {
    await runScript(this.redis, SCRIPTS.finishReconcile, [this.keys.listenerLease, this.keys.reconcilePending], [this.owner, epoch]);
  }

  /** True when the index is complete enough to rebuild accounts from. */
  async isReady(): Promise<boolean> {
    return (await this.readyEpoch()) !== undefined;
  }

  /** The epoch of a complete index, or undefined while it is missing or being replayed. */
  async readyEpoch(): Promise<string | undefined> {
    const [epoch, ready] = await this.redis.mget(this.keys.epoch, this.keys.ready);
    return epoch !== null && epoch === ready ? epoch : undefined;
  }

  /** Parsed checkpoint of a database, or undefined when it must be read from the start. */
  async checkpoint(db: string): Promise<unknown> {
    const raw = await this.redis.hget(this.keys.checkpoints, db);
    return raw === null ? undefined : JSON.parse(raw);
  }

  async checkpoints(): Promise<Map<string, unknown>> {
    const all = await this.redis.hgetall(this.keys.checkpoints);
    return new Map(Object.entries(all).map(([db, raw]) => [db, JSON.parse(raw)]));
  }

  /**
   * Applies a batch atomically with its checkpoint (`seq` undefined: no checkpoint move) and
   * returns the affected accounts, already recorded in the outbox under `token`.
   */
  async commit(epoch: string, db: string, changes: IndexChange[], seq: unknown, token: string, readFrom?: ReadFrom): Promise<string[]> {
    const owner = this.owner;
    const k = this.keys;
    const batch = JSON.stringify({
      db,
      seq: seq === undefined ? null : JSON.stringify(seq),
      token,
      check: readFrom !== undefined,
      since: readFrom?.checkpoint === undefined ? null : JSON.stringify(readFrom.checkpoint),
      changes: changes.map((c) => ({
        number: c.number,
        value: c.value ? serialise(c.value) : null,
        accounts: c.value?.accounts ?? [],
      })),
    });
    await this.fence?.beforeCommit?.(db);
    const keys = [k.listenerLease, k.epoch, k.checkpoints, k.dirty, k.db(db), ...changes.map((c) => k.number(c.number))];
    let affected: string[];
    try {
      affected = await runScript<string[]>(this.redis, SCRIPTS.commitBatch, keys, [owner, epoch, k.account(''), batch]);
    } catch (err) {
      if (scriptErrorCode(err) === SCRIPT_ERROR_CODES.checkpointMoved) throw new CheckpointMovedError(db);
      throw err;
    }
    await this.fence?.afterCommit?.(db);
    return affected;
  }

  /** Numbers currently indexed for a database (used when the database is deleted). */
  async numbersOfDb(db: string): Promise<string[]> {
    return this.redis.smembers(this.keys.db(db));
  }

  async forgetDb(db: string): Promise<void> {
    const k = this.keys;
    await runScript(this.redis, SCRIPTS.forgetDb, [k.listenerLease, k.checkpoints, k.db(db)], [this.owner, db]);
  }

  /**
   * The entries one account lists, only from a complete index: one script reads the epoch, the account's
   * set and every value atomically, so a Redis that lost its data or a replay under way yields
   * undefined, never a partial list.
   */
  async readyEntriesOf(accountId: string): Promise<AccountSnapshot | undefined> {
    const k = this.keys;
    const reply = await runScript<Array<string | null> | null>(
      this.redis,
      SCRIPTS.readAccount,
      [k.epoch, k.ready, k.account(accountId)],
      [k.number(''), k.docPrefix, accountId],
    );
    if (!reply) return undefined;
    const entries = new Map<string, EntryData>();
    for (let i = 2; i + 1 < reply.length; i += 2) {
      const raw = reply[i + 1];
      if (!raw) continue;
      const indexed = JSON.parse(raw) as IndexedNumber;
      if (indexed.accounts.includes(accountId)) entries.set(reply[i]!, indexed.entry);
    }
    return { epoch: reply[0]!, entries, ...(reply[1] ? { cachedDoc: reply[1] } : {}) };
  }

  /** Remembers the doc just written (JSON, with its new rev) so the next rebuild need not read it. */
  async cacheDoc(epoch: string, accountId: string, json: string): Promise<void> {
    await this.redis.set(this.keys.doc(epoch, accountId), json, 'EX', DOC_CACHE_TTL_S);
  }

  /** Makes the next rebuild of these accounts read their docs from CouchDB. */
  async forgetDocs(accountIds: readonly string[]): Promise<void> {
    const epoch = await this.epoch();
    if (epoch === undefined || accountIds.length === 0) return;
    for (let i = 0; i < accountIds.length; i += 1000) {
      await this.redis.del(...accountIds.slice(i, i + 1000).map((a) => this.keys.doc(epoch, a)));
    }
  }

  async lookup(number: string): Promise<IndexedNumber | undefined> {
    const raw = await this.redis.get(this.keys.number(number));
    return raw ? (JSON.parse(raw) as IndexedNumber) : undefined;
  }

  /** Up to `count` dirty accounts with their tokens (the outbox), for flushing after a crash or a bootstrap. */
  async dirtyAccounts(cursor: string, count: number): Promise<{ cursor: string; accounts: Array<[string, string]> }> {
    const [next, flat] = await this.redis.hscan(this.keys.dirty, cursor, 'COUNT', count);
    const accounts: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) accounts.push([flat[i]!, flat[i + 1]!]);
    return { cursor: next, accounts };
  }

  async clearDirty(token: string, accounts: string[]): Promise<void> {
    if (accounts.length > 0) await runScript(this.redis, SCRIPTS.clearDirty, [this.keys.listenerLease, this.keys.dirty], [this.owner, token, ...accounts]);
  }

  async addMissingAccount(accountId: string): Promise<void> {
    await this.redis.sadd(this.keys.missingAccounts, accountId);
  }

  async removeMissingAccount(accountId: string): Promise<boolean> {
    return (await this.redis.srem(this.keys.missingAccounts, accountId)) > 0;
  }

  async missingAccounts(): Promise<string[]> {
    return this.redis.smembers(this.keys.missingAccounts);
  }

  /** Number of numbers indexed, over all databases (for status and benchmarks). */
  async size(dbs: Iterable<string>): Promise<number> {
    const pipeline = this.redis.pipeline();
    for (const db of dbs) pipeline.scard(this.keys.db(db));
    const results = (await pipeline.exec()) ?? [];
    return results.reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }

  // --- Anti-entropy (src/sweep): read-only consistency checks, the remembered instance identity
  // of each numbers database, and on-demand reindex requests. None writes the index itself:
  // repairs go through `commit`.

  /** Stored values and set memberships of these numbers of database `db`, in two round trips. */
  async numberStates(db: string, numbers: readonly string[]): Promise<NumberState[]> {
    if (numbers.length === 0) return [];
    const values = (await this.redis.mget(...numbers.map((n) => this.keys.number(n)))).map((raw) => (raw ? (JSON.parse(raw) as IndexedNumber) : undefined));
    const pipeline = this.redis.pipeline();
    numbers.forEach((number, i) => {
      pipeline.sismember(this.keys.db(db), number);
      for (const account of values[i]?.accounts ?? []) pipeline.sismember(this.keys.account(account), number);
    });
    const replies = ((await pipeline.exec()) ?? []).map(([err, n]) => {
      if (err) throw err;
      return Number(n) === 1;
    });
    let at = 0;
    return values.map((value) => {
      const inDb = replies[at++]!;
      const inAccounts = (value?.accounts ?? []).map(() => replies[at++]!);
      return { ...(value ? { value } : {}), inDb, inAccounts };
    });
  }

  /**
   * Every number with an index entry whose id falls in a numbers database (numbers/+1415 holds
   * every +1415... number), found by key, so also entries missing from the database's set.
   * A SCAN in pages: never blocks Redis, but visits the whole keyspace.
   */
  async numbersIndexedUnder(db: string): Promise<string[]> {
    const head = this.keys.number('');
    const match = `${head}${db.slice(db.indexOf('/') + 1)}*`;
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) found.add(key.slice(head.length));
    } while (cursor !== '0');
    return [...found];
  }

  /** JSON of the instance identity remembered for a numbers database (src/sweep/db-instance.ts). */
  async dbInstance(db: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.dbInstances, db)) ?? undefined;
  }

  async setDbInstance(db: string, json: string): Promise<void> {
    await this.redis.hset(this.keys.dbInstances, db, json);
  }

  async forgetDbInstance(db: string): Promise<void> {
    await this.redis.hdel(this.keys.dbInstances, db);
  }

  /** Queues reindex requests for the listener that holds the lease. */
  async requestReindex(requests: readonly ReindexRequestRecord[]): Promise<void> {
    if (requests.length > 0) await this.redis.rpush(this.keys.reindexRequests, ...requests.map((r) => JSON.stringify(r)));
  }

  /** Takes (removes) up to `count` queued reindex requests; malformed entries are dropped. */
  async takeReindexRequests(count: number): Promise<ReindexRequestRecord[]> {
    const raw = (await this.redis.lpop(this.keys.reindexRequests, count)) ?? [];
    return raw.flatMap((r) => {
      try {
        const parsed = JSON.parse(r) as Partial<ReindexRequestRecord>;
        return typeof parsed.id === 'string' && typeof parsed.db === 'string' ? [{ id: parsed.id, db: parsed.db }] : [];
      } catch {
        return [];
      }
    });
  }

  /** Appends the JSON result of one database of request `id` (kept an hour for the waiting command). */
  async reportReindex(id: string, json: string): Promise<void> {
    const key = this.keys.reindexResult(id);
    await this.redis.multi().rpush(key, json).expire(key, 3600).exec();
  }

  async reindexResults(id: string): Promise<string[]> {
    return this.redis.lrange(this.keys.reindexResult(id), 0, -1);
  }
}

/** What the index holds for one number, and whether its set memberships agree with it. */
export interface NumberState {
  value?: IndexedNumber;
  /** The number is in the set of the database being checked. */
  inDb: boolean;
  /** Per account of `value.accounts`: the number is in that account's set. */
  inAccounts: boolean[];
}

export interface ReindexRequestRecord {
  id: string;
  db: string;
}

/** Stable serialisation: identical state gives identical bytes, which the commit script relies on. */
function serialise(value: IndexedNumber): string {
  return JSON.stringify({ db: value.db, accounts: value.accounts, entry: value.entry });
}
