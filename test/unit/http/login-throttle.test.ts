import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../src/http/login-throttle.js';

const settings = { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, forgetAfterMs: 60_000, maxTracked: 2 };

describe('LoginThrottle', () => {
  it('lets the first failures through, then locks out for twice as long each time, up to the cap', () => {
    let now = 0;
    const t = new LoginThrottle(settings, () => now);
    expect([1, 2, 3].map(() => t.fail('a').lockedForMs)).toEqual([0, 0, 0]);
    expect(t.retryAfterMs('a')).toBe(0);
    const locks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { lockedForMs } = t.fail('a');
      locks.push(lockedForMs);
      expect(t.retryAfterMs('a')).toBe(lockedForMs);
      now += lockedForMs;
    }
    expect(locks).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(t.retryAfterMs('b')).toBe(0);
  });

  it('forgets a key after a success or a quiet period, and tracks a bounded number of keys', () => {
    let now = 0;
    const t = new LoginThrottle(settings, () => now);
    for (let i = 0; i < 4; i++) t.fail('a');
    expect(t.retryAfterMs('a')).toBeGreaterThan(0);
    t.succeed('a');
    expect(t.retryAfterMs('a')).toBe(0);
    expect(t.fail('a').failures).toBe(1);
    now += 61_000;
    expect(t.fail('a').failures).toBe(1);
    t.fail('b');
    t.fail('c');
    // 'a' was the oldest of three with room for two: it starts afresh.
    expect(t.fail('a').failures).toBe(1);
  });
});
