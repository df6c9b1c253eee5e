import { describe, expect, it } from 'vitest';
import { judgeEvictionPolicy, maxmemoryPolicyOf } from '../../../src/redis/eviction-policy.js';

describe('Redis eviction policy rule', () => {
  it('reads the policy from INFO memory', () => {
    expect(maxmemoryPolicyOf('# Memory\r\nused_memory:1\r\nmaxmemory_policy:allkeys-lru\r\n')).toBe('allkeys-lru');
    expect(maxmemoryPolicyOf('# Memory\r\nused_memory:1\r\n')).toBeUndefined();
  });

  it('accepts only noeviction unless eviction is allowed', () => {
    expect(judgeEvictionPolicy('noeviction', false).ok).toBe(true);
    const refused = judgeEvictionPolicy('volatile-lru', false);
    expect(refused).toMatchObject({ ok: false, allowed: false });
    expect(!refused.ok && refused.error.message).toMatch(/volatile-lru.*NUMBERS_SYNC_ALLOW_EVICTION/);
    expect(judgeEvictionPolicy(undefined, true)).toMatchObject({ ok: false, allowed: true });
  });
});
