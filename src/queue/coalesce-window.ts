import type { Redis } from 'ioredis';

/**
 * KEYS: one per account; ARGV[1]: the window in ms. For each account: 1 if it was requested
 * within the window before now, else 0; either way its window restarts now (a sliding window,
 * so an account changing faster than the window keeps coalescing).
 */
const MARK_REQUESTED = `
local out = {}
for i, key in ipairs(KEYS) do
  out[i] = redis.call('EXISTS', key)
  redis.call('SET', key, '1', 'PX', ARGV[1])
end
return out
`;

type ScriptedRedis = Redis & { nsyncMarkRequested(numKeys: number, ...keysAndArgs: string[]): Promise<number[]> };

/**
 * Remembers, per account, when its rebuild was last requested (a key with PX = window), so that
 * only an account requested again within the window has its rebuild delayed: an isolated change
 * is rebuilt at once, a burst coalesces. One round trip per batch.
 */
export class CoalesceWindow {
  private readonly redis: ScriptedRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    readonly windowMs: number,
  ) {
    // EVALSHA (EVAL on NOSCRIPT): the script's text is not sent, nor hashed by Redis, per batch.
    if (!('nsyncMarkRequested' in redis)) redis.defineCommand('nsyncMarkRequested', { lua: MARK_REQUESTED });
    this.redis = redis as ScriptedRedis;
  }

  key(accountId: string): string {
    return `${this.prefix}:coalesce:${accountId}`;
  }

  /** Marks the accounts requested now; returns those requested within the window before. */
  async markRequested(accountIds: readonly string[]): Promise<Set<string>> {
    const recent = new Set<string>();
    if (this.windowMs <= 0 || accountIds.length === 0) return recent;
    const flags = await this.redis.nsyncMarkRequested(accountIds.length, ...accountIds.map((a) => this.key(a)), String(this.windowMs));
    accountIds.forEach((accountId, i) => {
      if (flags[i] === 1) recent.add(accountId);
    });
    return recent;
  }
}
