export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1: fraction of the delay randomised, so many clients do not retry in lock-step. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 15_000, jitter: 0.5 };

/** Exponential backoff with jitter; `attempt` starts at 0. `random` is injectable for tests. */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random = Math.random): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  const spread = base * opts.jitter;
  return Math.round(base - spread + random() * spread);
}
