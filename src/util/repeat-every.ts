/**
 * Runs `task` every `ms` until `signal` aborts, never two runs at once (a slow run makes the
 * next ticks skip). A failed run goes to `onError`; the next tick runs again.
 */
export function repeatEvery(ms: number, signal: AbortSignal, task: () => Promise<void>, onError: (err: unknown) => void): void {
  if (signal.aborted) return;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || signal.aborted) return;
    busy = true;
    task()
      .catch(onError)
      .finally(() => (busy = false));
  }, ms);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
