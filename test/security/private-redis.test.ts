import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import type { ChildDaemon } from '../harness/child-daemon.js';
import { readRuntimeRecord, type EmbeddedServicesRecord } from '../../src/embedded/runtime-file.js';
import { canSwitchUser, runAsOtherUser } from './as-other-user.js';
import { embeddedDaemonEnv, startEmbeddedDaemon, type EmbeddedDaemonEnv } from './embedded-daemon.js';
import { commandLineOf, redisServersIn } from './redis-processes.js';

/** redis-cli arguments that reach the recorded Redis (socket path or TCP URL). */
function redisCliTarget(url: string): string[] {
  if (url.startsWith('/')) return ['-s', url];
  const u = new URL(url);
  return ['-h', u.hostname, '-p', u.port];
}

// Issue 15, item 2: the private redis-server of the embedded default is reachable by nobody
// but the daemon's user, and only with a password that never appears on a command line.
describe('private redis-server of the embedded default', () => {
  let setup: EmbeddedDaemonEnv;
  let daemon: ChildDaemon;
  let record: EmbeddedServicesRecord;

  beforeAll(async () => {
    setup = await embeddedDaemonEnv('redis');
    daemon = await startEmbeddedDaemon(setup.env);
    record = (await readRuntimeRecord(setup.dataDir))!;
    expect(record?.redisUrl).toBeDefined();
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM');
    if (setup) await rm(setup.parent, { recursive: true, force: true });
  });

  it.runIf(canSwitchUser())('another local user can neither read nor write it', () => {
    const target = redisCliTarget(record.redisUrl!);
    const ping = runAsOtherUser('redis-cli', [...target, 'PING']);
    expect(ping.stdout).not.toContain('PONG');
    const set = runAsOtherUser('redis-cli', [...target, 'SET', 'nsync-forged', 'x']);
    expect(set.stdout).not.toContain('OK');
  });

  it('answers nothing without the password, and listens on no TCP port', async () => {
    // What any client gets with the right address but without the password.
    const anonymous = spawnSync('redis-cli', [...redisCliTarget(record.redisUrl!), 'PING'], { encoding: 'utf8' });
    expect(anonymous.stdout).toContain('NOAUTH');
    const owner = new Redis(record.redisUrl!, { password: (record as { redisPassword?: string }).redisPassword, lazyConnect: true });
    try {
      await owner.connect();
      expect(await owner.config('GET', 'port')).toEqual(['port', '0']);
    } finally {
      owner.disconnect();
    }
  });

  it('keeps the password off every command line', () => {
    const password = (record as { redisPassword?: string }).redisPassword;
    expect(password).toMatch(/.{16,}/);
    const pids = redisServersIn(join(setup.dataDir, 'redis'));
    expect(pids).toHaveLength(1);
    expect(commandLineOf(pids[0]!)).not.toContain(password);
    expect(commandLineOf(daemon.child.pid!)).not.toContain(password);
  });

  it('still serves the daemon and the CLI', async () => {
    const status = await runCli(['status', '--json'], {
      NUMBERS_SYNC_DATA_DIR: setup.dataDir,
      NUMBERS_SYNC_EMBEDDED_COUCH_PORT: setup.env.NUMBERS_SYNC_EMBEDDED_COUCH_PORT!,
    });
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { listener: { holder: string | null } }).listener.holder).not.toBeNull();
  });
});
