// Review of issue 15: the data directory is only private if nobody else controls it. A data
// directory created beforehand by another local user (e.g. `./data` under a shared working
// directory, or a path under /tmp) was used as found: ensurePrivateDir tightens only
// directories of ours, so that user could unlink the private Redis socket and put a listener
// of theirs at its path (receiving the password and feeding the CLI and workers), or delete
// the config and AOF. The same holds for a directory under one that others can write.
import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePrivateDir, startEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { canSwitchUser, runAsOtherUser } from './as-other-user.js';

let base: string;
const started: EmbeddedRedis[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'nsync-dir-owner-'));
  await chmod(base, 0o755);
});

afterAll(async () => {
  for (const r of started) await r.stop();
  await rm(base, { recursive: true, force: true });
});

function uidOf(user: string): number {
  return Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
}

describe.runIf(canSwitchUser())('a data directory another local user controls', () => {
  it('is refused, not used: the private Redis is never started in it', async () => {
    const planted = join(base, 'planted');
    await mkdir(planted, { mode: 0o777 });
    await chmod(planted, 0o777);
    await chown(planted, uidOf('nobody'), uidOf('nobody'));
    const start = startEmbeddedRedis({ dataDir: planted, unixSocket: true, appendOnly: true });
    const redis = await start.catch((err: Error) => err);
    if (!(redis instanceof Error)) {
      started.push(redis);
      // What the owner of the directory can then do to the daemon's Redis:
      const rmSock = runAsOtherUser('rm', ['-f', redis.socketPath!]);
      expect.fail(`started in a directory owned by nobody; nobody removing its socket exited ${rmSock.code}`);
    }
    expect(redis.message).toMatch(/owned by uid \d+/);
    expect(() => ensurePrivateDir(planted)).toThrow(/owned by uid/);
  });

  it('is refused by the embedded CouchDB server too (as root, chmod 0700 alone left it theirs)', async () => {
    const planted = join(base, 'planted-couch');
    await mkdir(planted, { mode: 0o777 });
    await chown(planted, uidOf('nobody'), uidOf('nobody'));
    const couch = await startEmbeddedCouch({ dataDir: planted, startTimeoutMs: 20_000 }).catch((err: Error) => err);
    if (!(couch instanceof Error)) {
      await couch.stop();
      expect.fail('the embedded CouchDB server started in a directory owned by nobody');
    }
    expect(couch.message).toMatch(/owned by uid \d+/);
  });

  it('is refused under a parent that other users can write (no sticky bit)', () => {
    const open = join(base, 'open');
    spawnSync('mkdir', ['-m', '0777', open]);
    expect(() => ensurePrivateDir(join(open, 'data'))).toThrow(/writable by other users/);
  });

  it('is accepted under /tmp (sticky) and tightened when it is ours', async () => {
    const ours = join(base, 'ours');
    await mkdir(ours, { mode: 0o755 });
    await chmod(ours, 0o755);
    ensurePrivateDir(join(ours, 'sub'));
    ensurePrivateDir(ours);
    const mode = spawnSync('stat', ['-c', '%a', ours], { encoding: 'utf8' }).stdout.trim();
    expect(mode).toBe('700');
  });
});
