import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildDaemon } from '../harness/child-daemon.js';
import { startEmbeddedCouch, type EmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { canSwitchUser, runAsOtherUser } from './as-other-user.js';

const COUCH_PW = 'couch-secret-in-a-file';
const REDIS_PW = 'redis-secret-in-a-file';

// Issue 15, item 6: secrets can come from files, so they appear in no process's arguments;
// a password given as a flag is warned about (without echoing it).
describe('secrets outside the command line', () => {
  let dir: string;
  let couch: EmbeddedCouch;
  let redis: EmbeddedRedis;
  let couchUrl: string;
  let redisUrl: string;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-sec-argv-'));
    await chmod(dir, 0o755);
    couch = await startEmbeddedCouch({ admin: { username: 'admin', password: COUCH_PW } });
    redis = await startEmbeddedRedis({ password: REDIS_PW });
    const u = new URL(couch.url);
    u.username = 'admin';
    u.password = COUCH_PW;
    couchUrl = u.href.replace(/\/$/, '');
    redisUrl = `redis://:${REDIS_PW}@127.0.0.1:${redis.port}`;
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await couch?.stop();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const started = (child: ChildDaemon) => child.waitForLog((r) => r.msg === 'numbers-sync started', 'daemon started');

  it('reads COUCHDB_URL_FILE and REDIS_URL_FILE, and no password shows in ps', async () => {
    await writeFile(join(dir, 'couch-url'), `${couchUrl}\n`, { mode: 0o600 });
    await writeFile(join(dir, 'redis-url'), `${redisUrl}\n`, { mode: 0o600 });
    const child = new ChildDaemon(
      ['run'],
      {
        COUCHDB_URL: '',
        REDIS_URL: '',
        COUCHDB_URL_FILE: join(dir, 'couch-url'),
        REDIS_URL_FILE: join(dir, 'redis-url'),
        NUMBERS_SYNC_DATA_DIR: join(dir, 'data'),
      },
      dir,
    );
    children.push(child);
    const line = await started(child);
    expect(String(line.couch)).toBe(`http://***@127.0.0.1:${couch.port}`);
    if (canSwitchUser()) {
      const ps = runAsOtherUser('ps', ['-eo', 'args', '--no-headers']);
      expect(ps.code).toBe(0);
      expect(ps.stdout).not.toContain(COUCH_PW);
      expect(ps.stdout).not.toContain(REDIS_PW);
    }
    expect(child.lines.join('\n')).not.toContain(COUCH_PW);
  });

  it('warns when --couch-url or --redis-url carries a password, without echoing it', async () => {
    const child = new ChildDaemon(
      ['run', '--couch-url', couchUrl, '--redis-url', redisUrl],
      { COUCHDB_URL: '', REDIS_URL: '', NUMBERS_SYNC_DATA_DIR: join(dir, 'data') },
      dir,
    );
    children.push(child);
    await started(child);
    const warnings = child.records().filter((r) => r.level === 40 && typeof r.msg === 'string' && r.msg.includes('command line'));
    expect(warnings.map((w) => w.flag).sort()).toEqual(['--couch-url', '--redis-url']);
    expect(child.lines.join('\n')).not.toContain(COUCH_PW);
    expect(child.lines.join('\n')).not.toContain(REDIS_PW);
  });
});
