import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';

describe('secrets from files (*_FILE)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nsync-secret-files-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads COUCHDB_URL_FILE, REDIS_URL_FILE and NUMBERS_SYNC_DASHBOARD_PASSWORD_FILE, one trailing newline dropped', () => {
    writeFileSync(join(dir, 'couch'), 'http://admin:s3cret@db:5984\n');
    writeFileSync(join(dir, 'redis'), 'redis://:r3dis@cache:6379/0');
    writeFileSync(join(dir, 'dash'), 'dashboard-pw\n');
    const config = loadConfig({
      COUCHDB_URL_FILE: join(dir, 'couch'),
      REDIS_URL_FILE: join(dir, 'redis'),
      NUMBERS_SYNC_DASHBOARD_USER: 'ops',
      NUMBERS_SYNC_DASHBOARD_PASSWORD_FILE: join(dir, 'dash'),
    });
    expect(config.couchUrl).toBe('http://admin:s3cret@db:5984');
    expect(config.redisUrl).toBe('redis://:r3dis@cache:6379/0');
    expect(config.dashboardPassword).toBe('dashboard-pw');
  });

  it('reports a missing file and a value set twice, naming the variables, never the content', () => {
    writeFileSync(join(dir, 'bad'), 'http://admin:leaky@db:5984');
    let message = '';
    try {
      loadConfig({ COUCHDB_URL_FILE: join(dir, 'missing'), REDIS_URL: 'redis://x:6379', REDIS_URL_FILE: join(dir, 'bad') });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(`COUCHDB_URL_FILE: cannot read '${join(dir, 'missing')}' (ENOENT)`);
    expect(message).toContain('REDIS_URL_FILE: set either REDIS_URL or REDIS_URL_FILE, not both');
    expect(message).not.toContain('leaky');
  });

  it('reads the dashboard switch as a boolean, off by default', () => {
    expect(loadConfig({}).dashboardWritable).toBe(false);
    expect(loadConfig({ NUMBERS_SYNC_DASHBOARD_WRITABLE: 'true' }).dashboardWritable).toBe(true);
    expect(() => loadConfig({ NUMBERS_SYNC_DASHBOARD_WRITABLE: 'maybe' })).toThrow(/NUMBERS_SYNC_DASHBOARD_WRITABLE: must be true or false/);
  });
});
