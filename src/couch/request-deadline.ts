/**
 * The signal of one CouchDB request: aborted by its timeout (a TimeoutError) or by the caller's
 * signal. One controller and timer per request, both released when it ends: AbortSignal.timeout
 * and AbortSignal.any cost more per call on the hot path, and `any` keeps a listener on the
 * caller's long-lived signal until garbage collection.
 */
export interface RequestDeadline {
  signal: AbortSignal;
  /** Aborts the request now (e.g. to close a connection whose body is abandoned). */
  abort(): void;
  /** Call when the request has ended: clears the timer and the listener on the caller's signal. */
  release(): void;
}

export function requestDeadline(timeoutMs: number, outer: AbortSignal | undefined): RequestDeadline {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), timeoutMs);
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    release: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', forward);
    },
  };
}
