import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EntryData } from '../spec/index.js';
import { IndexKeys } from './keys.js';
import { COMMIT_BATCH_LUA, CLEAR_DIRTY_LUA } from './commit-script.js';

/** What the index stores per number: where it lives, who lists it, and its account-independent entry. */
export interface IndexedNumber {
  db: string;
  accounts: string[];
  entry: EntryData;
}

/** One number's new state: `value` undefined means the number is listed nowhere (removed from the index). */
export interface IndexChange {
  number: string;
  value?: IndexedNumber;
}

export class IndexLostError extends Error {
  constructor() {
    super('the Redis index is gone (Redis restarted without persistence or was flushed)');
    this.name = 'IndexLostError';
  }
}

type ScriptedRedis = Redis & {
  nsyncCommit(epochKey: string, ckptKey: string, dirtyKey: string, epoch: string, batch: string): Promise<string[]>;
  nsyncClearDirty(dirtyKey: string, token: string, ...accounts: string[]): Promise<number>;
};

/**
 * The Redis-side index: number -> listing accounts + entry, account -> numbers, db -> numbers,
 * per-db checkpoints and the dirty-account outbox. It lets a rebuild cost O(numbers of the account).
 */
export class NumberIndex {
  readonly keys: IndexKeys;
  private readonly redis: ScriptedRedis;

  constructor(redis: Redis, prefix: string) {
    this.keys = new IndexKeys(prefix);
    this.redis = redis as ScriptedRedis;
    if (!('nsyncCommit' in redis)) {
      redis.defineCommand('nsyncCommit', { numberOfKeys: 3, lua: COMMIT_BATCH_LUA });
      redis.defineCommand('nsyncClearDirty', { numberOfKeys: 1, lua: CLEAR_DIRTY_LUA });
    }
  }

  /** The current epoch, or undefined when the index does not exist (first start or lost). */
  async epoch(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.epoch)) ?? undefined;
  }

  /**
   * Starts a new, empty index generation. Checkpoints and readiness of the old one are dropped
   * so every database is replayed from the start.
   */
  async resetEpoch(): Promise<string> {
    const epoch = randomUUID();
    await this.redis.multi().del(this.keys.checkpoints, this.keys.ready).set(this.keys.epoch, epoch).exec();
    return epoch;
  }

  async markReady(epoch: string): Promise<void> {
    await this.redis.set(this.keys.ready, epoch);
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
  async commit(epoch: string, db: string, changes: IndexChange[], seq: unknown, token: string): Promise<string[]> {
    const batch = JSON.stringify({
      prefix: this.keys.prefix,
      db,
      seq: seq === undefined ? null : JSON.stringify(seq),
      token,
      changes: changes.map((c) => ({
        number: c.number,
        value: c.value ? serialise(c.value) : null,
        accounts: c.value?.accounts ?? [],
      })),
    });
    try {
      return await this.redis.nsyncCommit(this.keys.epoch, this.keys.checkpoints, this.keys.dirty, epoch, batch);
    } catch (err) {
      if (err instanceof Error && err.message.includes('INDEX_LOST')) throw new IndexLostError();
      throw err;
    }
  }

  /** Numbers currently indexed for a database (used when the database is deleted). */
  async numbersOfDb(db: string): Promise<string[]> {
    return this.redis.smembers(this.keys.db(db));
  }

  async forgetDb(db: string): Promise<void> {
    await this.redis.multi().hdel(this.keys.checkpoints, db).del(this.keys.db(db)).exec();
  }

  /** The entries one account lists, read in two round trips whatever the size of the index. */
  async entriesOf(accountId: string): Promise<Map<string, EntryData>> {
    const numbers = await this.redis.smembers(this.keys.account(accountId));
    const entries = new Map<string, EntryData>();
    if (numbers.length === 0) return entries;
    const values = await this.redis.mget(numbers.map((n) => this.keys.number(n)));
    numbers.forEach((number, i) => {
      const raw = values[i];
      if (!raw) return;
      const indexed = JSON.parse(raw) as IndexedNumber;
      // The sets and values are written together, but a defensive check costs nothing.
      if (indexed.accounts.includes(accountId)) entries.set(number, indexed.entry);
    });
    return entries;
  }

  /**
   * Like entriesOf, but only from a complete index, with the epoch read atomically (MULTI) in
   * each of the two round trips: if Redis lost its data or a replay is under way before or
   * between them, the result is undefined instead of a partial list.
   */
  async readyEntriesOf(accountId: string): Promise<{ epoch: string; entries: Map<string, EntryData> } | undefined> {
    const [epoch, numbers] = await this.readyMulti(this.redis.multi().smembers(this.keys.account(accountId)));
    if (epoch === undefined) return undefined;
    const entries = new Map<string, EntryData>();
    if ((numbers as string[]).length === 0) return { epoch, entries };
    const [again, values] = await this.readyMulti(this.redis.multi().mget((numbers as string[]).map((n) => this.keys.number(n))));
    if (again !== epoch) return undefined;
    (numbers as string[]).forEach((number, i) => {
      const raw = (values as Array<string | null>)[i];
      if (!raw) return;
      const indexed = JSON.parse(raw) as IndexedNumber;
      if (indexed.accounts.includes(accountId)) entries.set(number, indexed.entry);
    });
    return { epoch, entries };
  }

  /** Runs `multi` with the epoch/ready pair prepended; returns the ready epoch (or undefined) and the result. */
  private async readyMulti(multi: ReturnType<Redis['multi']>): Promise<[string | undefined, unknown]> {
    const results = await multi.mget(this.keys.epoch, this.keys.ready).exec();
    if (!results) throw new Error('Redis transaction aborted');
    for (const [err] of results) if (err) throw err;
    const [epoch, ready] = results[1]![1] as Array<string | null>;
    return [epoch !== null && epoch === ready ? epoch : undefined, results[0]![1]];
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
    if (accounts.length > 0) await this.redis.nsyncClearDirty(this.keys.dirty, token, ...accounts);
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
}

/** Stable serialisation: identical state gives identical bytes, which the commit script relies on. */
function serialise(value: IndexedNumber): string {
  return JSON.stringify({ db: value.db, accounts: value.accounts, entry: value.entry });
}
