import type { Redis } from 'ioredis';

const RENEW_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A Redis lease electing the one listener that follows the feeds. The holder renews it well
 * before expiry; if the holder dies, a standby acquires it within one TTL.
 */
export class ListenerLease {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly owner: string,
    readonly ttlMs: number,
  ) {}

  async tryAcquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.owner, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** False when the lease is no longer ours (expired and taken, or Redis lost it). */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW_LUA, 1, this.key, this.owner, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE_LUA, 1, this.key, this.owner);
  }

  async holder(): Promise<string | undefined> {
    return (await this.redis.get(this.key)) ?? undefined;
  }
}
