import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { IndexKeys } from '../index/keys.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

/**
 * The account doc each rebuild last wrote (or read), kept in Redis so the next rebuild can skip
 * the GET. Two rules make it safe to use:
 * - it is authenticated: Redis may be writable by others (a local user on a private
 *   redis-server), so an entry carries an HMAC whose key never goes to Redis; a failed check is
 *   a cache miss, counted and logged;
 * - it is used only once CouchDB proves its rev is the winning one (see current-doc.ts).
 *
 * Entry: `nsc1 <rev> <key id> <mac>\n<doc JSON>`; the header lets a Lua script compare
 * generations without reading the doc.
 */
const FORMAT = 'nsc1';

/** Bounds how long an unused entry occupies Redis; any rebuild refreshes it. */
const DOC_CACHE_TTL_S = 3600;

/** Huge accounts are rare and their rebuild is dominated by the write anyway. */
const MAX_CACHED_DOC_CHARS = 512 * 1024;

const REV = /^[0-9]+-\S+$/;

export type CacheRejection = 'forged' | 'other_key' | 'malformed';

export interface OpenedEntry {
  /** The authenticated doc (with its _rev), when the entry passed every check. */
  doc?: Record<string, unknown> & { _rev: string };
  /** The rev named by the entry's header, authenticated or not: the entry a new write may replace. */
  seenRev?: string;
  rejected?: CacheRejection;
}

/**
 * The HMAC key of the cache, derived from the CouchDB URL's credentials: every worker has them,
 * Redis never sees them, and whoever knows them can write CouchDB directly anyway. Without
 * credentials (an unauthenticated CouchDB) the key is random per process, so only this process
 * trusts its own entries.
 */
export function docCacheKey(couchUrl: string): Buffer {
  const url = new URL(couchUrl);
  if (!url.username && !url.password) return randomBytes(32);
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return Buffer.from(hkdfSync('sha256', credentials, 'kazoo-numbers-sync', 'account doc cache v1', 32));
}

/** The rev an entry's header names (not authenticated: enough to tell a stale entry). */
export function cachedEntryRev(raw: string): string | undefined {
  const nl = raw.indexOf('\n');
  const [format, rev] = (nl < 0 ? '' : raw.slice(0, nl)).split(' ');
  return format === FORMAT && rev && REV.test(rev) ? rev : undefined;
}

/** Seals and opens cache entries (pure: no I/O). The MAC binds the entry to its epoch and account. */
export class DocCacheSeal {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    this.keyId = createHmac('sha256', key).update('key id').digest('hex').slice(0, 8);
  }

  /** The entry for a doc with its rev, or undefined when it is not worth caching. */
  seal(epoch: string, accountId: string, doc: Record<string, unknown>): string | undefined {
    const rev = doc._rev;
    if (typeof rev !== 'string' || !REV.test(rev)) return undefined;
    const json = JSON.stringify(doc);
    if (json.length > MAX_CACHED_DOC_CHARS) return undefined;
    return `${FORMAT} ${rev} ${this.keyId} ${this.mac(epoch, accountId, rev, json)}\n${json}`;
  }

  open(epoch: string, accountId: string, raw: string): OpenedEntry {
    const nl = raw.indexOf('\n');
    const [, , keyId, mac] = (nl < 0 ? '' : raw.slice(0, nl)).split(' ');
    const rev = cachedEntryRev(raw);
    if (!rev || !keyId || !mac) return { rejected: 'malformed' };
    if (keyId !== this.keyId) return { seenRev: rev, rejected: 'other_key' };
    const json = raw.slice(nl + 1);
    const expected = Buffer.from(this.mac(epoch, accountId, rev, json));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { seenRev: rev, rejected: 'forged' };
    try {
      const doc: unknown = JSON.parse(json);
      if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && (doc as { _rev?: unknown })._rev === rev) {
        return { seenRev: rev, doc: doc as Record<string, unknown> & { _rev: string } };
      }
    } catch {
      // an authentic entry always parses; fall through
    }
    return { seenRev: rev, rejected: 'malformed' };
  }

  private mac(epoch: string, accountId: string, rev: string, json: string): string {
    return createHmac('sha256', this.key).update(`${epoch}\n${accountId}\n${rev}\n`).update(json).digest('base64url');
  }
}

/**
 * Stores an entry unless the one in Redis names a newer generation that the writer did not
 * see: two runs of one stalled job may finish in any order, and the older write must not
 * replace the newer one. Reads only the header (GETRANGE), not the doc.
 * KEYS: doc key. ARGV: entry, its generation, rev the writer saw cached ('' none), ttl seconds.
 */
const STORE_LUA = `
local head = redis.call('GETRANGE', KEYS[1], 0, 199)
local rev, gen = string.match(head, '^${FORMAT} ((%d+)%-%S+) ')
if gen and tonumber(gen) > tonumber(ARGV[2]) and rev ~= ARGV[3] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
return 1
`;

type ScriptedRedis = Redis & {
  nsyncStoreDoc(key: string, entry: string, generation: number, seenRev: string, ttl: number): Promise<number>;
};

export interface AccountDocCacheOptions {
  redis: Redis;
  keys: IndexKeys;
  seal: DocCacheSeal;
  logger: Logger;
  metrics?: Metrics;
}

/** The Redis side of the cache: verified reads (from the rebuild's index snapshot) and ordered writes. */
export class AccountDocCache {
  private readonly redis: ScriptedRedis;

  constructor(private readonly opts: AccountDocCacheOptions) {
    this.redis = opts.redis as ScriptedRedis;
    if (!('nsyncStoreDoc' in opts.redis)) opts.redis.defineCommand('nsyncStoreDoc', { numberOfKeys: 1, lua: STORE_LUA });
  }

  /** Checks the raw entry read with the index snapshot; a rejected one is logged and counted, and never used. */
  open(epoch: string, accountId: string, raw: string | undefined): OpenedEntry {
    if (raw === undefined) return {};
    const opened = this.opts.seal.open(epoch, accountId, raw);
    if (opened.rejected) {
      this.opts.metrics?.docCacheRejected.inc({ reason: opened.rejected });
      // Another key is expected after a password change or from a process without credentials;
      // anything else means someone wrote to Redis.
      const level = opened.rejected === 'other_key' ? 'debug' : 'warn';
      this.opts.logger[level]({ account: accountId, reason: opened.rejected }, 'cached account doc failed its authentication check; reading CouchDB');
    }
    return opened;
  }

  /** Caches a doc proven current (just written, or just read without conflicts). False when not stored. */
  async store(epoch: string, accountId: string, doc: Record<string, unknown>, seenRev: string | undefined): Promise<boolean> {
    const key = this.opts.keys.doc(epoch, accountId);
    const entry = this.opts.seal.seal(epoch, accountId, doc);
    if (entry === undefined) {
      await this.redis.del(key);
      return false;
    }
    const generation = Number((doc._rev as string).split('-')[0]);
    return (await this.redis.nsyncStoreDoc(key, entry, generation, seenRev ?? '', DOC_CACHE_TTL_S)) === 1;
  }
}
