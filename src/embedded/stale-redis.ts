import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { processAlive } from './process-identity.js';

/**
 * A redis-server left running on `dir` by a daemon that died without stopping it (an older
 * version, or a platform without parent-death signals). Ours when its executable is
 * redis-server and its working directory (redis-server chdirs to its `dir`) is `dir`; the
 * pidfile names it, and /proc is scanned too in case the pidfile is gone.
 */
export function staleRedisServers(dir: string, pidFile: string): number[] {
  const candidates = new Set<number>();
  const recorded = Number.parseInt(readOr(pidFile, ''), 10);
  if (Number.isInteger(recorded) && recorded > 0) candidates.add(recorded);
  try {
    for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry)) candidates.add(Number(entry));
  } catch {
    // no /proc: only the pidfile, and only if it can be verified (it cannot, below)
  }
  // /proc/<pid>/cwd is the real path: compare with ours, symlinks resolved.
  const real = realpathSync(dir);
  return [...candidates].filter((pid) => pid !== process.pid && isRedisServerIn(pid, real));
}

function isRedisServerIn(pid: number, dir: string): boolean {
  try {
    const argv0 = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/)[0] ?? '';
    return basename(argv0).startsWith('redis-server') && readlinkSync(`/proc/${pid}/cwd`) === dir;
  } catch {
    return false;
  }
}

/** SIGTERM (redis-server then fsyncs its AOF), SIGKILL after `graceMs`; resolves once each is gone. */
export async function stopProcesses(pids: number[], graceMs = 5000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(processAlive) && Date.now() < deadline) await sleep(50);
  for (const pid of pids.filter(processAlive)) signal(pid, 'SIGKILL');
  while (pids.some(processAlive) && Date.now() < deadline + 5000) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
