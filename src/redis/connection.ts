import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is: a redis:// URL (credentials in it) or, for the private redis-server of the
 * embedded default, the path of its unix socket plus its password (kept out of the URL, so
 * what is shown and recorded as the address carries no secret).
 */
export interface RedisTarget {
  redisUrl: string;
  redisPassword?: string;
}

/** An ioredis connection to `target` (ioredis takes a socket path where a URL goes). */
export function openRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  return new Redis(target.redisUrl, target.redisPassword ? { ...options, password: target.redisPassword } : options);
}
