import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildDaemon } from './child-daemon.js';

/** Node flags of the daemon as `npm start` runs it, passed through the environment. */
export const NPM_START_HEAP_CAP = { NODE_OPTIONS: '--max-old-space-size=128' };

/**
 * Polls `check` until it returns a truthy value, failing at once (with the child's stderr)
 * when the child exits: a daemon that dies must fail the test now, not at the timeout.
 */
export async function whileAlive<T>(child: ChildDaemon, check: () => Promise<T> | T, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    if (child.child.exitCode !== null || child.child.signalCode !== null) {
      throw new Error(
        `daemon exited (code ${child.child.exitCode}, signal ${child.child.signalCode}) while waiting for ${what}; stderr: ${child.stderr.join('').slice(-1500)}`,
      );
    }
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${lastError instanceof Error ? lastError.message : ''}`);
    await sleep(100);
  }
}

/** Peak resident set size of a live process (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}
