import { chmod, chown, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  processAlive,
  readRuntimeRecord,
  removeRuntimeRecord,
  runtimeFilePath,
  untrustedRecordReason,
  writeRuntimeRecord,
} from '../../../src/embedded/runtime-file.js';

describe('embedded services record', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nsync-rt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips and is removed only by its writer', async () => {
    await writeRuntimeRecord(join(dir, 'new'), { pid: 42, couchUrl: 'http://127.0.0.1:5984', redisUrl: 'redis://127.0.0.1:1' });
    expect(await readRuntimeRecord(join(dir, 'new'))).toEqual({ pid: 42, couchUrl: 'http://127.0.0.1:5984', redisUrl: 'redis://127.0.0.1:1' });
    await removeRuntimeRecord(join(dir, 'new'), 43);
    expect(await readRuntimeRecord(join(dir, 'new'))).toBeDefined();
    await removeRuntimeRecord(join(dir, 'new'), 42);
    expect(await readRuntimeRecord(join(dir, 'new'))).toBeUndefined();
  });

  it('ignores missing, corrupt and malformed records', async () => {
    expect(await readRuntimeRecord(dir)).toBeUndefined();
    await writeFile(runtimeFilePath(dir), '{"pid":');
    expect(await readRuntimeRecord(dir)).toBeUndefined();
    await writeFile(runtimeFilePath(dir), '{"pid":"1","couchUrl":5}');
    expect(await readRuntimeRecord(dir)).toBeUndefined();
    await writeFile(runtimeFilePath(dir), '{"pid":1,"couchUrl":5}');
    expect(await readRuntimeRecord(dir)).toEqual({ pid: 1 });
  });

  it('is written 0600 in a 0700 directory, and trusted only while private to this user', async () => {
    const dataDir = join(dir, 'private');
    await writeRuntimeRecord(dataDir, { pid: 42, couchUrl: 'http://admin:pw@127.0.0.1:5984', redisUrl: '/x/redis.sock', redisPassword: 'pw' });
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(runtimeFilePath(dataDir))).mode & 0o777).toBe(0o600);
    expect(await untrustedRecordReason(dataDir)).toBeUndefined();
    await chmod(runtimeFilePath(dataDir), 0o644);
    expect(await untrustedRecordReason(dataDir)).toMatch(/mode 644/);
    if (process.getuid?.() === 0) {
      await chmod(runtimeFilePath(dataDir), 0o600);
      await chown(runtimeFilePath(dataDir), 65534, 65534);
      expect(await untrustedRecordReason(dataDir)).toMatch(/owned by uid 65534/);
    }
  });

  it('tells live processes from gone ones', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });
});
