import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configSecrets, loadConfig } from '../../../src/config/config.js';
import { parseSentinels } from '../../../src/redis/sentinel-settings.js';
import { configuredRedisTarget, redisChildEnv } from '../../../src/redis/connection.js';

function problems(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('REDIS_SENTINELS', () => {
  it('parses host:port lists, IPv6 in brackets, spaces around commas', () => {
    expect(parseSentinels('10.0.0.1:26379, sentinel-b.local:26380,[::1]:26381')).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b.local', port: 26380 },
        { host: '::1', port: 26381 },
      ],
    });
  });

  it('rejects every bad entry, naming it', () => {
    expect(parseSentinels('10.0.0.1,host:0,host:70000,:26379,a:1')).toEqual({
      problems: [
        "'10.0.0.1' is not host:port (port 1-65535)",
        "'host:0' is not host:port (port 1-65535)",
        "'host:70000' is not host:port (port 1-65535)",
        "':26379' is not host:port (port 1-65535)",
      ],
    });
  });

  it('refuses at start-up: bad host:port, sentinels without a name, a name or passwords without sentinels, REDIS_URL with sentinels', () => {
    expect(problems({ REDIS_SENTINELS: '10.0.0.1', REDIS_SENTINEL_NAME: 'm' })).toContain(
      "REDIS_SENTINELS: must be host:port,host:port,... ('10.0.0.1' is not host:port (port 1-65535))",
    );
    expect(problems({ REDIS_SENTINELS: '10.0.0.1:26379' })).toContain('REDIS_SENTINELS needs REDIS_SENTINEL_NAME');
    expect(problems({ REDIS_SENTINEL_NAME: 'm' })).toContain('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS');
    expect(problems({ REDIS_PASSWORD: 'pw-data' })).toContain('REDIS_PASSWORD is for the data nodes behind REDIS_SENTINELS');
    expect(problems({ REDIS_SENTINEL_PASSWORD: 'pw-sent' })).toContain('REDIS_SENTINEL_PASSWORD is set without REDIS_SENTINELS');
    const both = problems({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_URL: 'redis://:hidden@x:6379' });
    expect(both).toContain('set either REDIS_URL or REDIS_SENTINELS, not both');
    expect(both).not.toContain('hidden');
    expect(problems({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'bad name' })).toContain('REDIS_SENTINEL_NAME: must be 1-128 characters');
  });
});

describe('the Redis target of a config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsync-sentinel-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads both passwords from files, shows no secret, and scrubs both from logs', () => {
    writeFileSync(join(dir, 'data'), 'data-pw-1\n');
    writeFileSync(join(dir, 'sentinel'), 'sentinel-pw-2\n');
    const config = loadConfig({
      REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2:26379',
      REDIS_SENTINEL_NAME: 'nsync',
      REDIS_PASSWORD_FILE: join(dir, 'data'),
      REDIS_SENTINEL_PASSWORD_FILE: join(dir, 'sentinel'),
    });
    const target = configuredRedisTarget(config)!;
    expect(target).toEqual({
      redisUrl: "sentinel master 'nsync' via 10.0.0.1:26379,10.0.0.2:26379",
      redisPassword: 'data-pw-1',
      redisSentinel: {
        name: 'nsync',
        sentinelPassword: 'sentinel-pw-2',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '10.0.0.2', port: 26379 },
        ],
      },
    });
    expect(configSecrets(config)).toEqual(expect.arrayContaining(['data-pw-1', 'sentinel-pw-2']));
  });

  it('is the URL without sentinels, and nothing (embedded default) without either', () => {
    expect(configuredRedisTarget(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }))).toEqual({ redisUrl: 'redis://127.0.0.1:6379' });
    expect(configuredRedisTarget(loadConfig({}))).toBeUndefined();
  });

  it('gives a child process exactly its Redis variables, overriding inherited _FILE twins', () => {
    const target = configuredRedisTarget(loadConfig({ REDIS_SENTINELS: '[::1]:26379', REDIS_SENTINEL_NAME: 'nsync', REDIS_PASSWORD: 'data-pw' }))!;
    const env = redisChildEnv(target);
    expect(env).toMatchObject({
      REDIS_SENTINELS: '[::1]:26379',
      REDIS_SENTINEL_NAME: 'nsync',
      REDIS_PASSWORD: 'data-pw',
      REDIS_URL: undefined,
      REDIS_URL_FILE: undefined,
      REDIS_PASSWORD_FILE: undefined,
    });
    // What the child reads back is the same target.
    const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(configuredRedisTarget(loadConfig(defined))).toEqual(target);
    expect(redisChildEnv({ redisUrl: 'redis://x:6379' })).toMatchObject({ REDIS_URL: 'redis://x:6379', REDIS_SENTINELS: undefined });
  });
});
