/**
 * Rejects when `promise` has not settled within `ms` (the promise itself keeps running). The timer
 * keeps the process alive only with `keepAlive`.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, keepAlive = false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
    if (!keepAlive) timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits for `promise` at most `ms`; true when it settled (either way) in time. Keeps the process alive meanwhile. */
export async function settleWithin(promise: Promise<unknown> | undefined, ms: number): Promise<boolean> {
  if (!promise) return true;
  return withTimeout(
    promise.then(
      () => true,
      () => true,
    ),
    ms,
    'settle',
    true,
  ).catch(() => false);
}
