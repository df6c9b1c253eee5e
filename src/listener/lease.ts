import type { Redis } from 'ioredis';
import { runScript, SCRIPTS } from '../index/lua-scripts.js';
import { withTimeout } from '../http/with-timeout.js';

/**
 * A Redis lease electing the one listener that follows the feeds. The holder renews it well
 * before expiry; if the holder dies, a standby acquires it within one TTL. Index writes check
 * the same key (see NumberIndex.fencedBy), so a holder that stalled past the TTL cannot write.
 */
export class ListenerLease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  /** Every lease command gives up after this long: a hung connection must not keep a session alive. */
  get commandTimeoutMs(): number {
    return Math.max(100, Math.floor(this.ttlMs / 3));
  }

  async tryAcquire(): Promise<boolean> {
    return (await this.run(SCRIPTS.leaseAcquire, [this.owner, String(this.ttlMs)], 'lease acquisition')) === 1;
  }

  /** False when the lease is no longer ours (expired and taken, or Redis lost it); rejects on timeout. */
  async renew(): Promise<boolean> {
    return (await this.run(SCRIPTS.leaseRenew, [this.owner, String(this.ttlMs)], 'lease renewal')) === 1;
  }

  async release(): Promise<void> {
    await this.run(SCRIPTS.leaseRelease, [this.owner], 'lease release');
  }

  async holder(): Promise<string | undefined> {
    return (await withTimeout(this.redis.get(this.key), this.commandTimeoutMs, 'lease holder lookup')) ?? undefined;
  }

  private run(script: (typeof SCRIPTS)[keyof typeof SCRIPTS], args: string[], what: string): Promise<unknown> {
    return withTimeout(runScript(this.redis, script, [this.key], args), this.commandTimeoutMs, what);
  }
}
