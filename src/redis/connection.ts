import { Redis, type RedisOptions } from 'ioredis';
import { describeSentinels, parseSentinels, type SentinelAddress } from './sentinel-settings.js';

/** A primary found through Redis Sentinel (REDIS_SENTINELS). */
export interface SentinelTarget {
  sentinels: SentinelAddress[];
  /** Master group name (`sentinel monitor <name> ...`). */
  name: string;
  /** The sentinels' own password (REDIS_SENTINEL_PASSWORD). */
  sentinelPassword?: string;
}

/**
 * Where Redis is: a redis:// URL (credentials in it); or, for the private redis-server of the
 * embedded default, the path of its unix socket plus its password (kept out of the URL, so
 * what is shown and recorded as the address carries no secret); or a Sentinel-managed primary
 * (`redisSentinel`, with the data nodes' password in redisPassword, and redisUrl only a
 * credential-free description for logs and output).
 */
export interface RedisTarget {
  redisUrl: string;
  redisPassword?: string;
  redisSentinel?: SentinelTarget;
}

/**
 * An ioredis connection to `target` (ioredis takes a socket path where a URL goes). Every
 * Redis connection of the daemon, queue, workers, lease and CLI is opened here, so all of them
 * follow a Sentinel failover alike: on a lost connection ioredis asks the sentinels for the
 * current primary and checks its role (`role: 'master'`) before sending anything, and the
 * failover detector reconnects as soon as a sentinel announces +switch-master. Scripts
 * (defineCommand) fall back from EVALSHA to EVAL when the new primary lacks them (NOSCRIPT).
 */
export function openRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  const sentinel = target.redisSentinel;
  if (sentinel) {
    return new Redis({
      ...options,
      sentinels: sentinel.sentinels,
      name: sentinel.name,
      role: 'master',
      failoverDetector: true,
      ...(sentinel.sentinelPassword ? { sentinelPassword: sentinel.sentinelPassword } : {}),
      ...(target.redisPassword ? { password: target.redisPassword } : {}),
    });
  }
  return new Redis(target.redisUrl, target.redisPassword ? { ...options, password: target.redisPassword } : options);
}

/** The Redis settings of a validated config (see redisSettingsProblems). */
export interface RedisConfig {
  redisUrl?: string | undefined;
  redisPassword?: string | undefined;
  redisSentinels?: string | undefined;
  redisSentinelName?: string | undefined;
  redisSentinelPassword?: string | undefined;
}

/** The configured Redis, or undefined when none is (the embedded default then starts one). */
export function configuredRedisTarget(config: RedisConfig): RedisTarget | undefined {
  if (config.redisSentinels && config.redisSentinelName) {
    const parsed = parseSentinels(config.redisSentinels);
    // loadConfig validated the list; a bad one here is a programming error.
    if (!('sentinels' in parsed)) throw new Error(`REDIS_SENTINELS: ${parsed.problems.join('; ')}`);
    return {
      redisUrl: describeSentinels(config.redisSentinelName, parsed.sentinels),
      ...(config.redisPassword ? { redisPassword: config.redisPassword } : {}),
      redisSentinel: {
        sentinels: parsed.sentinels,
        name: config.redisSentinelName,
        ...(config.redisSentinelPassword ? { sentinelPassword: config.redisSentinelPassword } : {}),
      },
    };
  }
  return config.redisUrl ? { redisUrl: config.redisUrl } : undefined;
}

/**
 * Environment variables that point a child `numbers-sync` process (the scheduled verify) at
 * `target`, given in the environment rather than on its command line (visible in `ps`). Every
 * Redis variable is named, unset ones as undefined, so none inherited from the parent (a
 * `_FILE` twin, or REDIS_URL next to REDIS_SENTINELS) conflicts with them.
 */
export function redisChildEnv(target: RedisTarget): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {
    REDIS_URL: undefined,
    REDIS_URL_FILE: undefined,
    REDIS_PASSWORD: undefined,
    REDIS_PASSWORD_FILE: undefined,
    REDIS_SENTINELS: undefined,
    REDIS_SENTINEL_NAME: undefined,
    REDIS_SENTINEL_PASSWORD: undefined,
    REDIS_SENTINEL_PASSWORD_FILE: undefined,
  };
  const sentinel = target.redisSentinel;
  if (!sentinel) return { ...env, REDIS_URL: target.redisUrl };
  return {
    ...env,
    REDIS_SENTINELS: sentinel.sentinels.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(','),
    REDIS_SENTINEL_NAME: sentinel.name,
    REDIS_SENTINEL_PASSWORD: sentinel.sentinelPassword,
    REDIS_PASSWORD: target.redisPassword,
  };
}
