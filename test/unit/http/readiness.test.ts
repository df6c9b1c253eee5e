import { describe, expect, it } from 'vitest';
import { decideReadiness, listenerCheck, pollStaleAfterMs, withQueueState, workersCheck, type ReadinessFacts } from '../../../src/http/readiness.js';

const timing = { feedTimeoutMs: 30_000, pollIntervalMs: 2000, rescanIntervalMs: 60_000, requestTimeoutMs: 60_000 };
const now = 1_000_000_000;
const ok = { ok: true, detail: 'answers' };

function facts(overrides: Partial<ReadinessFacts> = {}): ReadinessFacts {
  return {
    now,
    stopping: false,
    couchdb: ok,
    redis: ok,
    listener: { leader: true, lastPollAt: now - 1000, startedAt: now - 100_000, dbUpdates: 'following', bootstrapping: false },
    workers: { running: true, blockingConnection: 'ready' },
    timing,
    ...overrides,
  };
}

describe('pollStaleAfterMs', () => {
  it('allows a longpoll plus its request deadline while following _db_updates', () => {
    expect(pollStaleAfterMs(timing, 'following')).toBe(30_000 + 60_000 + 5000);
  });

  it('relies on the rescan when _db_updates is unavailable or the session is starting', () => {
    expect(pollStaleAfterMs(timing, 'unavailable')).toBe(60_000 + 60_000 + 5000);
    expect(pollStaleAfterMs(timing, 'starting')).toBe(60_000 + 60_000 + 5000);
  });

  it('uses the rescan when it is more frequent than the feed timeout', () => {
    expect(pollStaleAfterMs({ ...timing, rescanIntervalMs: 10_000 }, 'following')).toBe(10_000 + 60_000 + 5000);
  });
});

describe('listenerCheck', () => {
  it('accepts a standby listener without the lease', () => {
    expect(listenerCheck({ leader: false }, timing, now)).toEqual({ ok: true, detail: 'standby: not holding the listener lease' });
  });

  it('accepts a leader that polled recently', () => {
    expect(listenerCheck({ leader: true, lastPollAt: now - 5000, startedAt: now - 600_000, dbUpdates: 'following' }, timing, now).ok).toBe(true);
  });

  it('rejects a leader whose last poll is older than the bound', () => {
    const limit = pollStaleAfterMs(timing, 'following');
    const check = listenerCheck({ leader: true, lastPollAt: now - limit - 1, startedAt: now - 600_000, dbUpdates: 'following' }, timing, now);
    expect(check.ok).toBe(false);
    expect(check.detail).toContain('has not polled CouchDB');
    expect(listenerCheck({ leader: true, lastPollAt: now - limit, startedAt: now - 600_000, dbUpdates: 'following' }, timing, now).ok).toBe(true);
  });

  it('gives a new session the bound from its start before the first poll', () => {
    const limit = pollStaleAfterMs(timing, 'starting');
    expect(listenerCheck({ leader: true, lastPollAt: 0, startedAt: now - 1000, dbUpdates: 'starting' }, timing, now)).toEqual({
      ok: true,
      detail: 'leader (starting), session starting',
    });
    const stuck = listenerCheck({ leader: true, lastPollAt: 0, startedAt: now - limit - 1, dbUpdates: 'starting' }, timing, now);
    expect(stuck.ok).toBe(false);
    expect(stuck.detail).toContain('last poll never');
  });

  it('rejects a leader that reports no time at all', () => {
    expect(listenerCheck({ leader: true }, timing, now).ok).toBe(false);
  });

  it('mentions a replay in progress without failing on it', () => {
    const check = listenerCheck({ leader: true, lastPollAt: now, startedAt: now - 1000, dbUpdates: 'unavailable', bootstrapping: true }, timing, now);
    expect(check).toEqual({ ok: true, detail: 'leader (unavailable, replaying the index), last poll 0s ago' });
  });
});

describe('workersCheck', () => {
  it('is ok only when running on a ready blocking connection', () => {
    expect(workersCheck({ running: true, blockingConnection: 'ready' }).ok).toBe(true);
    expect(workersCheck({ running: false, blockingConnection: 'ready' })).toEqual({ ok: false, detail: 'rebuild worker is not running' });
    expect(workersCheck({ running: true, blockingConnection: 'reconnecting' })).toEqual({
      ok: false,
      detail: "rebuild worker's Redis connection is reconnecting",
    });
    expect(workersCheck({ running: true, blockingConnection: 'closed' }).ok).toBe(false);
  });
});

describe('decideReadiness', () => {
  it('is ready when every check passes', () => {
    const readiness = decideReadiness(facts());
    expect(readiness.ready).toBe(true);
    expect(Object.keys(readiness.checks)).toEqual(['couchdb', 'redis', 'listener', 'workers']);
  });

  it('only checks the roles this process has', () => {
    expect(Object.keys(decideReadiness(facts({ listener: undefined })).checks)).toEqual(['couchdb', 'redis', 'workers']);
    expect(Object.keys(decideReadiness(facts({ workers: undefined })).checks)).toEqual(['couchdb', 'redis', 'listener']);
  });

  it('is not ready when any one check fails', () => {
    const down = { ok: false, detail: 'connection is reconnecting' };
    expect(decideReadiness(facts({ couchdb: down })).ready).toBe(false);
    expect(decideReadiness(facts({ redis: down })).ready).toBe(false);
    expect(decideReadiness(facts({ workers: { running: true, blockingConnection: 'reconnecting' } })).ready).toBe(false);
    expect(decideReadiness(facts({ listener: { leader: true, lastPollAt: 1, startedAt: 1, dbUpdates: 'following' } })).ready).toBe(false);
  });

  it('is not ready while shutting down', () => {
    const readiness = decideReadiness(facts({ stopping: true }));
    expect(readiness.ready).toBe(false);
    expect(readiness.checks.shutdown).toEqual({ ok: false, detail: 'shutting down' });
  });

  it('keeps a standby listener ready', () => {
    expect(decideReadiness(facts({ listener: { leader: false } })).ready).toBe(true);
  });
});

describe('withQueueState', () => {
  const ready = { ready: true, checks: { couchdb: { ok: true, detail: 'answers' } } };
  it('adds a failing queue check only when the queue is paused', () => {
    expect(withQueueState(ready, { paused: false })).toBe(ready);
    expect(withQueueState(ready, { paused: undefined })).toBe(ready);
    expect(withQueueState(ready, { paused: true })).toEqual({
      ready: false,
      checks: { ...ready.checks, queue: { ok: false, detail: 'rebuild queue is paused: no worker takes jobs' } },
    });
  });
});
