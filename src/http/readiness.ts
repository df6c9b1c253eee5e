/**
 * The /readyz decision, pure: probes gather the facts (readiness-probe.ts), this decides.
 * Ready = CouchDB and Redis answer, the listener (if this process listens and leads) has polled
 * recently, the workers (if this process works) are running on a ready blocking connection,
 * and the process is not shutting down.
 */

export interface CheckResult {
  ok: boolean;
  detail: string;
}

export interface ListenerTiming {
  feedTimeoutMs: number;
  pollIntervalMs: number;
  rescanIntervalMs: number;
  requestTimeoutMs: number;
}

export type FeedMode = 'following' | 'unavailable' | 'starting';

/** What the listener reports (Listener.status()); `leader` false = standby without the lease. */
export interface ListenerFacts {
  leader: boolean;
  lastPollAt?: number;
  startedAt?: number;
  dbUpdates?: FeedMode;
  bootstrapping?: boolean;
}

export interface WorkerFacts {
  /** BullMQ worker main loop running and not paused. */
  running: boolean;
  /** ioredis status of the worker's blocking connection ('ready' when it can receive jobs). */
  blockingConnection: string;
}

export interface ReadinessFacts {
  now: number;
  stopping: boolean;
  couchdb: CheckResult;
  redis: CheckResult;
  /** Absent when this process does not have the listen role. */
  listener?: ListenerFacts;
  /** Absent when this process does not have the work role. */
  workers?: WorkerFacts;
  timing: ListenerTiming;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** Slack for scheduling and the request that completes the poll. */
const GRACE_MS = 5000;

/**
 * Longest normal gap between two completed polls of the leading listener. While following
 * _db_updates a longpoll completes at least every feedTimeoutMs; otherwise only the periodic
 * _all_dbs rescan is guaranteed (polling every pollIntervalMs reads only databases that exist,
 * so with none there is nothing to poll). Any request may run up to requestTimeoutMs before
 * it is aborted and retried.
 */
export function pollStaleAfterMs(timing: ListenerTiming, mode: FeedMode): number {
  const cadence = mode === 'following' ? Math.min(timing.feedTimeoutMs, timing.rescanIntervalMs) : Math.max(timing.rescanIntervalMs, timing.pollIntervalMs);
  return cadence + timing.requestTimeoutMs + GRACE_MS;
}

export function listenerCheck(facts: ListenerFacts, timing: ListenerTiming, now: number): CheckResult {
  if (!facts.leader) return { ok: true, detail: 'standby: not holding the listener lease' };
  const mode = facts.dbUpdates ?? 'starting';
  const since = Math.max(facts.lastPollAt ?? 0, facts.startedAt ?? 0);
  const age = now - since;
  const limit = pollStaleAfterMs(timing, mode);
  const phase = facts.bootstrapping ? ', replaying the index' : '';
  if (since <= 0 || age > limit) {
    const last = facts.lastPollAt ? `${Math.round((now - facts.lastPollAt) / 1000)}s ago` : 'never';
    return { ok: false, detail: `leader (${mode}${phase}) has not polled CouchDB for over ${Math.round(limit / 1000)}s (last poll ${last})` };
  }
  const last = facts.lastPollAt ? `last poll ${Math.max(0, Math.round((now - facts.lastPollAt) / 1000))}s ago` : 'session starting';
  return { ok: true, detail: `leader (${mode}${phase}), ${last}` };
}

export function workersCheck(facts: WorkerFacts): CheckResult {
  if (!facts.running) return { ok: false, detail: 'rebuild worker is not running' };
  if (facts.blockingConnection !== 'ready') return { ok: false, detail: `rebuild worker's Redis connection is ${facts.blockingConnection}` };
  return { ok: true, detail: 'rebuild worker running' };
}

export function decideReadiness(facts: ReadinessFacts): Readiness {
  const checks: Record<string, CheckResult> = { couchdb: facts.couchdb, redis: facts.redis };
  if (facts.listener) checks.listener = listenerCheck(facts.listener, facts.timing, facts.now);
  if (facts.workers) checks.workers = workersCheck(facts.workers);
  if (facts.stopping) checks.shutdown = { ok: false, detail: 'shutting down' };
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}

/**
 * A paused rebuild queue (e.g. from the dashboard) runs no rebuild anywhere, so it is not
 * ready. The `queue` check appears only then, like `shutdown`; unknown (Redis down) adds nothing.
 */
export function withQueueState(readiness: Readiness, queue: { paused: boolean | undefined }): Readiness {
  if (!queue.paused) return readiness;
  const checks = { ...readiness.checks, queue: { ok: false, detail: 'rebuild queue is paused: no worker takes jobs' } };
  return { ready: false, checks };
}
