import { describe, expect, it } from 'vitest';
import { ConfigError, configSecrets, loadConfig } from '../../../src/config/config.js';

describe('loadConfig', () => {
  it('applies defaults with an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      couchUrl: undefined,
      redisUrl: undefined,
      prefix: 'nsync',
      concurrency: 64,
      httpHost: '127.0.0.1',
      httpPort: 9464,
      logLevel: 'info',
    });
  });

  it('reads env vars, and flags override them', () => {
    const config = loadConfig({ NUMBERS_SYNC_CONCURRENCY: '8', COUCHDB_URL: 'http://a:b@h:5984' }, { concurrency: '16' });
    expect(config.concurrency).toBe(16);
    expect(config.couchUrl).toBe('http://a:b@h:5984');
  });

  it('reports every bad value at once, named by its variable', () => {
    try {
      loadConfig({ NUMBERS_SYNC_CONCURRENCY: 'abc', NUMBERS_SYNC_HTTP_PORT: '70000', REDIS_URL: 'ftp://x', LOG_LEVEL: 'loud', NUMBERS_SYNC_PREFIX: 'a b' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toContain('NUMBERS_SYNC_CONCURRENCY: must be a whole number');
      expect(problems).toContain('NUMBERS_SYNC_HTTP_PORT: must be at most 65535');
      expect(problems).toContain('REDIS_URL');
      expect(problems).toContain('LOG_LEVEL');
      expect(problems).toContain('NUMBERS_SYNC_PREFIX');
    }
  });

  it('never echoes a password from a bad URL or the dashboard password', () => {
    try {
      loadConfig({ COUCHDB_URL: 'ftp://admin:topsecret@h', NUMBERS_SYNC_DASHBOARD_PASSWORD: 'short' });
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('COUCHDB_URL');
      expect(message).toContain('NUMBERS_SYNC_DASHBOARD');
      expect(message).not.toContain('topsecret');
      expect(message).not.toContain('short');
    }
  });

  it('requires the dashboard user and password together', () => {
    expect(() => loadConfig({ NUMBERS_SYNC_DASHBOARD_USER: 'ops' })).toThrow(/must be set together/);
  });

  it('collects the secrets to scrub from logs', () => {
    const config = loadConfig({
      COUCHDB_URL: 'http://admin:p%40ss@h:5984',
      REDIS_URL: 'redis://:rpw123@h:6379',
      NUMBERS_SYNC_DASHBOARD_USER: 'ops',
      NUMBERS_SYNC_DASHBOARD_PASSWORD: 'dashboard-pw',
    });
    expect(configSecrets(config).sort()).toEqual(['dashboard-pw', 'p@ss', 'rpw123']);
  });
});
