import type { Redis } from 'ioredis';
import type { CouchClient } from '../couch/couch-client.js';
import type { Listener } from '../listener/listener.js';
import type { RebuildWorker } from '../../workers/rebuild-worker.js';
import { decideReadiness, type CheckResult, type ListenerTiming, type Readiness } from './readiness.js';
import { redactUrl } from '../util/redact.js';
import { withTimeout } from './with-timeout.js';

export interface ReadinessProbeOptions {
  couch: CouchClient;
  redis: Redis;
  listener?: Listener;
  worker?: RebuildWorker;
  timing: ListenerTiming;
  stopping: () => boolean;
  /** Bound of each probe, so /readyz answers even when a server hangs. */
  probeTimeoutMs?: number;
}

/** Gathers the facts for /readyz (the I/O half; the decision is decideReadiness). */
export async function probeReadiness(opts: ReadinessProbeOptions): Promise<Readiness> {
  const timeoutMs = opts.probeTimeoutMs ?? 2000;
  const [couchdb, redis, blockingConnection] = await Promise.all([
    check(() => probeCouch(opts.couch, timeoutMs)),
    check(async () => {
      // A command issued while ioredis reconnects would wait in its offline queue: fail fast.
      if (opts.redis.status !== 'ready') throw new Error(`connection is ${opts.redis.status}`);
      return `answers ${await withTimeout(opts.redis.ping(), timeoutMs, 'PING')}`;
    }),
    opts.worker ? withTimeout(opts.worker.blockingConnectionStatus(), timeoutMs, 'worker connection status').catch(() => 'unknown') : undefined,
  ]);
  const status = opts.listener?.status();
  return decideReadiness({
    now: Date.now(),
    stopping: opts.stopping(),
    couchdb,
    redis,
    listener: status && {
      leader: status.leader,
      lastPollAt: status.lastPollAt,
      startedAt: status.startedAt,
      dbUpdates: status.dbUpdates,
      bootstrapping: status.bootstrapping,
    },
    workers: opts.worker && { running: opts.worker.isRunning(), blockingConnection: blockingConnection ?? 'unknown' },
    timing: opts.timing,
  });
}

/**
 * CouchDB's health endpoint is `GET /_up` (what its Docker image and load balancers use): it
 * answers at once even when `GET /` is slow (e.g. a node whose cluster membership hangs).
 * `GET /` is asked only when `/_up` does not exist (a 404 without a `status`).
 */
export async function probeCouch(couch: CouchClient, timeoutMs: number): Promise<string> {
  const up = await couch.up(AbortSignal.timeout(timeoutMs));
  const verdict = classifyUp(up.status, up.body);
  if (verdict.up === true) return verdict.detail;
  if (verdict.up === false) throw new Error(verdict.detail);
  const banner = await couch.ping(AbortSignal.timeout(timeoutMs));
  return `answers${banner.version ? ` (version ${banner.version})` : ''} (no /_up)`;
}

/** Reads a `/_up` answer: up, not serving (maintenance_mode, nolb, seeding), or no such endpoint. */
export function classifyUp(status: number, body: Record<string, unknown>): { up: true | false; detail: string } | { up: 'no_endpoint' } {
  if (status === 200) return { up: true, detail: `up${typeof body.status === 'string' ? ` (${body.status})` : ''}` };
  if (typeof body.status === 'string') return { up: false, detail: `/_up answers ${status} ${body.status}` };
  return { up: 'no_endpoint' };
}

async function check(run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { ok: true, detail: await run() };
  } catch (err) {
    return { ok: false, detail: redactUrl(err instanceof Error ? err.message : String(err)) };
  }
}
