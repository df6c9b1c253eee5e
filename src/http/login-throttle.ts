/**
 * Failed-login throttle, per client key (the peer address): the first `freeFailures` failures
 * cost nothing (typos), each further one locks the key out for twice as long as the previous
 * (base, 2x base, ... up to maxDelayMs). While locked out nothing is checked, so guessing
 * runs at a few attempts per hour at most. Pure state with an injected clock; bounded memory.
 */
export interface LoginThrottleSettings {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A key without a failure for this long starts afresh. */
  forgetAfterMs: number;
  /** Keys tracked at most (the oldest is dropped first). */
  maxTracked: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleSettings = {
  freeFailures: 10,
  baseDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxTracked: 10_000,
};

interface Entry {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly settings: LoginThrottleSettings = DEFAULT_LOGIN_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long `key` must still wait before its credentials are checked again (0: now). */
  retryAfterMs(key: string): number {
    const entry = this.current(key);
    return entry ? Math.max(0, entry.lockedUntil - this.now()) : 0;
  }

  /** Records a failed login; returns the failure count and the lockout it starts (0: none). */
  fail(key: string): { failures: number; lockedForMs: number } {
    const now = this.now();
    const entry = this.current(key) ?? { failures: 0, lastFailureAt: now, lockedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const over = entry.failures - this.settings.freeFailures;
    const lockedForMs = over > 0 ? Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** Math.min(over - 1, 30)) : 0;
    entry.lockedUntil = now + lockedForMs;
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.settings.maxTracked) this.entries.delete(this.entries.keys().next().value!);
    return { failures: entry.failures, lockedForMs };
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private current(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.lockedUntil <= this.now() && this.now() - entry.lastFailureAt > this.settings.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}
