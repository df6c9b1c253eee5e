// Runs every preflight check against one CouchDB and one Redis and returns one verdict per
// check, in a fixed order. Never throws: a server that does not answer is a failed check.
import type { Redis } from 'ioredis';
import { accountIdFromDbName, isFollowedNumbersDb, isNumbersDbName } from '../rules/index.js';
import { maxmemoryPolicyOf } from '../redis/eviction-policy.js';
import { CouchProbe, couchClockReading, redisClockReading, redisSavePoints } from './probes.js';
import {
  judgeAdminRights,
  judgeClock,
  judgeCouchUp,
  judgeCouchVersion,
  judgeDbCounts,
  judgeEviction,
  judgeGlobalChanges,
  judgeMaxWriteDelay,
  judgePersistence,
  judgeRedisVersion,
  parseInfo,
  type CheckResult,
  type ClockReading,
} from './verdicts.js';

export interface PreflightTargets {
  /** With credentials. */
  couchUrl: string;
  redis: Redis;
  allowEviction: boolean;
  /** Why Redis cannot be reached, when the caller's connection attempt already failed. */
  redisError?: string;
}

const COUCH_CHECKS = ['couch_version', 'couch_admin', 'global_changes_db', 'global_changes_delay', 'numbers_databases', 'account_databases'];
const REDIS_CHECKS = ['redis_eviction', 'redis_persistence'];

const range = (start: string) =>
  `_all_dbs?startkey=${encodeURIComponent(JSON.stringify(start))}&endkey=${encodeURIComponent(JSON.stringify(`${start}\ufff0`))}`;

export async function runPreflight(t: PreflightTargets): Promise<CheckResult[]> {
  const [couch, redis] = await Promise.all([couchChecks(new CouchProbe(t.couchUrl)), redisChecks(t.redis, t.allowEviction, t.redisError)]);
  return [...couch.results, ...redis.results, judgeClock([couch.clock, redis.clock])];
}

async function couchChecks(probe: CouchProbe): Promise<{ results: CheckResult[]; clock: ClockReading }> {
  const up = await probe.get('_up');
  const reachable = judgeCouchUp(up);
  if (up.error !== undefined) {
    return {
      results: [reachable, ...COUCH_CHECKS.map((check) => ({ check, status: 'skip' as const, message: 'CouchDB does not answer' }))],
      clock: { source: 'couchdb', resolutionMs: 1000, error: 'CouchDB does not answer' },
    };
  }
  const [root, numbers, dbUpdates, globalChanges, delay, accounts] = await Promise.all([
    probe.get(''),
    probe.get(range('numbers/')),
    probe.get('_db_updates?limit=1'),
    probe.get('_global_changes'),
    probe.get('_node/_local/_config/global_changes/max_write_delay'),
    probe.get(range('account/')),
  ]);
  const results = [
    reachable,
    judgeCouchVersion(root),
    judgeAdminRights(numbers, dbUpdates),
    judgeGlobalChanges(globalChanges, dbUpdates.status === 200),
    judgeMaxWriteDelay(delay),
  ];
  const names = (f: typeof numbers) =>
    f.status === 200 && Array.isArray(f.body) ? (f.body as unknown[]).filter((n): n is string => typeof n === 'string') : undefined;
  const numberNames = names(numbers);
  const accountNames = names(accounts);
  if (numberNames && accountNames) {
    results.push(
      ...judgeDbCounts({
        numbers: numberNames.filter(isFollowedNumbersDb).length,
        ignoredNumbers: numberNames.filter((n) => isNumbersDbName(n) && !isFollowedNumbersDb(n)).length,
        accounts: accountNames.filter((n) => accountIdFromDbName(n) !== undefined).length,
      }),
    );
  } else {
    const why = `_all_dbs failed: ${numbers.error ?? accounts.error ?? `${numbers.status}/${accounts.status}`}`;
    results.push({ check: 'numbers_databases', status: 'skip', message: why }, { check: 'account_databases', status: 'skip', message: why });
  }
  return { results, clock: couchClockReading(root) };
}

async function redisChecks(redis: Redis, allowEviction: boolean, knownError: string | undefined): Promise<{ results: CheckResult[]; clock: ClockReading }> {
  let server: Map<string, string>;
  try {
    if (knownError !== undefined) throw new Error(knownError);
    server = parseInfo(await redis.info('server'));
  } catch (err) {
    const message = `Redis does not answer: ${err instanceof Error ? err.message : String(err)}`;
    return {
      results: [
        { check: 'redis_version', status: 'fail', message },
        ...REDIS_CHECKS.map((check) => ({ check, status: 'skip' as const, message: 'Redis does not answer' })),
      ],
      clock: { source: 'redis', resolutionMs: 0, error: 'Redis does not answer' },
    };
  }
  const guarded = async (check: string, run: () => Promise<CheckResult>): Promise<CheckResult> => {
    try {
      return await run();
    } catch (err) {
      return { check, status: 'fail', message: `cannot read: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  const [eviction, persistence, clock] = await Promise.all([
    guarded('redis_eviction', async () => judgeEviction(maxmemoryPolicyOf(await redis.info('memory')), allowEviction)),
    guarded('redis_persistence', async () => judgePersistence({ info: parseInfo(await redis.info('persistence')), savePoints: await redisSavePoints(redis) })),
    redisClockReading(redis),
  ]);
  return { results: [judgeRedisVersion(server.get('redis_version')), eviction, persistence], clock };
}
