import { setTimeout as sleep } from 'node:timers/promises';

/** Sleeps `ms`, resolving early (without throwing) when `signal` aborts: callers check the signal. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(ignoreAbort);
}

function ignoreAbort(err: unknown): void {
  if ((err as { code?: unknown } | null)?.code !== 'ABORT_ERR') throw err;
}
