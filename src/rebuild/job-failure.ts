// How a rebuild failure is handled: pure rules, used by the worker and the failed-job retrier.
import { CouchError } from '../couch/couch-error.js';
import { isAccountId } from '../rules/index.js';

/** Longest wait of a rebuild postponed by a CouchDB outage: bounds how late it runs once CouchDB is back. */
export const MAX_OUTAGE_DELAY_MS = 30_000;

/**
 * A failure an unavailable CouchDB explains (network, 5xx, timeout): the worker then asks
 * whether CouchDB answers at all before deciding it is an outage rather than this job's fault.
 */
export function mayBeCouchOutage(err: unknown): boolean {
  return err instanceof CouchError && err.retryable;
}

/**
 * Delay before a run postponed by an outage: exponential from `baseMs` over the runs already
 * postponed, capped at MAX_OUTAGE_DELAY_MS, with jitter so the jobs do not return in one wave.
 */
export function outageDelayMs(postponed: number, baseMs: number, random: () => number = Math.random): number {
  const delay = Math.min(MAX_OUTAGE_DELAY_MS, baseMs * 2 ** Math.min(Math.max(postponed, 0), 30));
  return Math.max(1, Math.round(delay * (0.5 + 0.5 * random())));
}

/**
 * A failed job worth requesting again: every failure may go away (CouchDB errors, Redis
 * errors, repeated conflicts) except an invalid account id, which stays failed for inspection.
 */
export function isRetryableFailedJob(data: { accountId?: unknown } | undefined): data is { accountId: string } {
  return typeof data?.accountId === 'string' && isAccountId(data.accountId);
}
