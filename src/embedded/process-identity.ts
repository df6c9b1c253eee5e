import { readFileSync } from 'node:fs';

/**
 * A process is identified by its pid and its start time: pids are recycled (in a container a
 * restarted daemon often gets the same small pid), so a recorded pid alone may name a stranger.
 */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (Linux /proc); undefined where unavailable. */
  startedAt?: string;
}

export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function currentProcessIdentity(): ProcessIdentity {
  const startedAt = processStartTime(process.pid);
  return startedAt ? { pid: process.pid, startedAt } : { pid: process.pid };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the process that recorded `identity` still runs (same pid, same start time when both are known). */
export function identityAlive(identity: ProcessIdentity): boolean {
  if (!processAlive(identity.pid)) return false;
  if (!identity.startedAt) return true;
  const now = processStartTime(identity.pid);
  return now === undefined || now === identity.startedAt;
}
