import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcessIdentity, identityAlive, type ProcessIdentity } from './process-identity.js';

const LOCK_FILE = 'numbers-sync.lock';

export class DataDirBusyError extends Error {
  constructor(dir: string, pid: number) {
    super(`${dir} is in use by process ${pid} (another numbers-sync on the same data directory?)`);
    this.name = 'DataDirBusyError';
  }
}

export interface DirLock {
  release(): void;
}

/**
 * Claims a Redis data directory for this process: one private redis-server per AOF directory.
 * A lock left by a process that is gone (crash, SIGKILL) is taken over; a live owner's is not.
 */
export function lockDataDir(dir: string): DirLock {
  const path = join(dir, LOCK_FILE);
  const me = currentProcessIdentity();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => releaseIfOurs(path, me) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(path);
    if (owner && identityAlive(owner)) throw new DataDirBusyError(dir, owner.pid);
    rmSync(path, { force: true });
  }
  throw new Error(`cannot lock ${dir}: the lock file keeps reappearing`);
}

function readOwner(path: string): ProcessIdentity | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ProcessIdentity>;
    if (typeof parsed.pid !== 'number') return undefined;
    return typeof parsed.startedAt === 'string' ? { pid: parsed.pid, startedAt: parsed.startedAt } : { pid: parsed.pid };
  } catch {
    return undefined;
  }
}

function releaseIfOurs(path: string, me: ProcessIdentity): void {
  const owner = readOwner(path);
  if (owner?.pid === me.pid && owner.startedAt === me.startedAt) rmSync(path, { force: true });
}
