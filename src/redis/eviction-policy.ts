import type { Redis } from 'ioredis';

/** The `maxmemory_policy` field of `INFO memory` (readable where CONFIG is disabled), if present. */
export function maxmemoryPolicyOf(info: string): string | undefined {
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
}

export class EvictionPolicyError extends Error {
  constructor(policy: string | undefined) {
    super(
      `Redis maxmemory-policy is ${policy ?? 'unknown (INFO memory did not report it)'}: Redis may evict index keys, ` +
        'checkpoints or queued jobs silently and account docs would drift. Set maxmemory-policy to noeviction ' +
        '(redis.conf, or CONFIG SET maxmemory-policy noeviction), or start with NUMBERS_SYNC_ALLOW_EVICTION=true ' +
        '(--allow-eviction) to accept the risk.',
    );
    this.name = 'EvictionPolicyError';
  }
}

/** What the eviction check concluded; `refuse` carries the error to stop on. */
export type EvictionVerdict = { ok: true; policy: string } | { ok: false; policy: string | undefined; allowed: boolean; error: EvictionPolicyError };

/** Pure rule: only noeviction is safe; anything else is refused unless explicitly allowed. */
export function judgeEvictionPolicy(policy: string | undefined, allowEviction: boolean): EvictionVerdict {
  if (policy === 'noeviction') return { ok: true, policy };
  return { ok: false, policy, allowed: allowEviction, error: new EvictionPolicyError(policy) };
}

export async function readMaxmemoryPolicy(redis: Redis): Promise<string | undefined> {
  return maxmemoryPolicyOf(await redis.info('memory'));
}
