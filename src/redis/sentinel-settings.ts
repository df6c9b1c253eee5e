/**
 * Pure rules of the Redis Sentinel settings: the REDIS_SENTINELS list and how the Redis
 * settings may be combined. No I/O, so config validation and tests share them.
 */

export interface SentinelAddress {
  host: string;
  port: number;
}

/** `host:port,host:port` (IPv6 as `[::1]:26379`); a list of problems instead when any entry is bad. */
export function parseSentinels(text: string): { sentinels: SentinelAddress[] } | { problems: string[] } {
  const sentinels: SentinelAddress[] = [];
  const problems: string[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[3]) : NaN;
    if (!match || port < 1 || port > 65535) {
      problems.push(`'${entry}' is not host:port (port 1-65535)`);
      continue;
    }
    sentinels.push({ host: (match[1] ?? match[2])!, port });
  }
  if (problems.length === 0 && sentinels.length === 0) problems.push('lists no sentinel');
  return problems.length > 0 ? { problems } : { sentinels };
}

/** The Redis settings as given (strings, before any file was read into them). */
export interface RedisSettingsInput {
  redisUrl?: string | undefined;
  redisPassword?: string | undefined;
  redisSentinels?: string | undefined;
  redisSentinelName?: string | undefined;
  redisSentinelPassword?: string | undefined;
}

/** Problems of the combination, each naming its variables; empty when it is consistent. */
export function redisSettingsProblems(input: RedisSettingsInput): string[] {
  const problems: string[] = [];
  if (input.redisSentinels === undefined) {
    if (input.redisSentinelName !== undefined) problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
    if (input.redisSentinelPassword !== undefined) problems.push('REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS');
    if (input.redisPassword !== undefined)
      problems.push('REDIS_PASSWORD is for the data nodes behind REDIS_SENTINELS; with REDIS_URL put the password in the URL');
    return problems;
  }
  if (input.redisUrl !== undefined) problems.push('set either REDIS_URL or REDIS_SENTINELS, not both (the sentinels name the primary)');
  if (input.redisSentinelName === undefined)
    problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_NAME (the master group name of `sentinel monitor <name> ...`)');
  return problems;
}

/** How a sentinel-managed Redis is shown (logs, status): no credentials. */
export function describeSentinels(name: string, sentinels: readonly SentinelAddress[]): string {
  const list = sentinels.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
  return `sentinel master '${name}' via ${list}`;
}
