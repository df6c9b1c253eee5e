// The `feed`, `heartbeat` and `timeout` parameters _changes and _db_updates share, read as CouchDB does.
import { badRequest, type Query } from './http.js';

/** CouchDB's default (chttpd changes_timeout). */
const DEFAULT_TIMEOUT_MS = 60_000;
/** Longest delay a Node timer takes. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface FeedTiming {
  feed: 'normal' | 'longpoll' | 'continuous';
  /** ms between heartbeat newlines; undefined = none. */
  heartbeat: number | undefined;
  /** ms to wait for a change; a heartbeat without a timeout waits as long as a timer can. */
  timeout: number;
}

export function parseFeedTiming(q: Query): FeedTiming {
  const feed = q.string('feed') ?? 'normal';
  if (feed !== 'normal' && feed !== 'longpoll' && feed !== 'continuous') {
    throw badRequest(`Supported feeds are normal, longpoll and continuous, not '${feed}'.`);
  }
  const heartbeatParam = q.string('heartbeat');
  const heartbeat =
    heartbeatParam === undefined || heartbeatParam === 'false'
      ? undefined
      : heartbeatParam === 'true'
        ? DEFAULT_TIMEOUT_MS
        : Math.max(q.int('heartbeat') ?? 0, 100);
  // As in CouchDB, a heartbeat without an explicit timeout keeps the feed open indefinitely.
  const timeout = Math.min(q.int('timeout') ?? (heartbeat !== undefined ? Infinity : DEFAULT_TIMEOUT_MS), MAX_TIMER_MS);
  return { feed, heartbeat, timeout };
}
