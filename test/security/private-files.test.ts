import { readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildDaemon } from '../harness/child-daemon.js';
import { runtimeFilePath } from '../../src/embedded/runtime-file.js';
import { canSwitchUser, runAsOtherUser } from './as-other-user.js';
import { embeddedDaemonEnv, startEmbeddedDaemon, type EmbeddedDaemonEnv } from './embedded-daemon.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** Every file and directory under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

// Issue 15, item 8: the data directory, the Redis files and the runtime record are private.
describe('files of the embedded default', () => {
  let setup: EmbeddedDaemonEnv;
  let daemon: ChildDaemon;

  beforeAll(async () => {
    setup = await embeddedDaemonEnv('files');
    daemon = await startEmbeddedDaemon(setup.env);
  });

  afterAll(async () => {
    await daemon?.kill('SIGTERM');
    if (setup) await rm(setup.parent, { recursive: true, force: true });
  });

  it('creates the data directories 0700', () => {
    expect(mode(setup.dataDir).toString(8)).toBe('700');
    expect(mode(join(setup.dataDir, 'redis')).toString(8)).toBe('700');
    expect(mode(join(setup.dataDir, 'couch')).toString(8)).toBe('700');
  });

  it('keeps the Redis files (AOF, pidfile, config) and the runtime record 0600', () => {
    const redisFiles = walk(join(setup.dataDir, 'redis')).filter((p) => statSync(p).isFile());
    expect(redisFiles.some((p) => p.includes('appendonly'))).toBe(true);
    for (const file of redisFiles) expect(`${file} ${mode(file).toString(8)}`).toBe(`${file} 600`);
    expect(mode(runtimeFilePath(setup.dataDir)).toString(8)).toBe('600');
  });

  it.runIf(canSwitchUser())('another local user can read nothing of it', () => {
    expect(runAsOtherUser('ls', [setup.dataDir]).code).not.toBe(0);
    expect(runAsOtherUser('cat', [runtimeFilePath(setup.dataDir)]).code).not.toBe(0);
    expect(runAsOtherUser('ls', [join(setup.dataDir, 'redis', 'appendonlydir')]).code).not.toBe(0);
  });
});
