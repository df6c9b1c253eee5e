import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processAlive, readRuntimeRecord, removeRuntimeRecord, runtimeFilePath, writeRuntimeRecord } from '../../../src/runtime/runtime-file.js';

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

  it('tells live processes from gone ones', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(2 ** 22 + 12345)).toBe(false);
  });
});
