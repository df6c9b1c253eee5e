import { CouchError } from '../couch/couch-error.js';
import type { CouchClient, DbUpdate } from '../couch/couch-client.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay } from '../util/backoff.js';
import { abortableSleep } from '../util/abortable-sleep.js';

export interface DbUpdatesWatcherOptions {
  couch: CouchClient;
  logger: Logger;
  metrics: Metrics;
  feedTimeoutMs: number;
  onUpdate: (update: DbUpdate) => void;
  /** The server has no usable _db_updates: the caller falls back to polling. */
  onUnavailable: (reason: string) => void;
  onFatal: (err: CouchError) => void;
}

/**
 * Follows _db_updates with longpolls. Each poll has a server-side timeout plus a client-side
 * deadline, so a stalled connection is aborted and retried. Delivery is not guaranteed by
 * CouchDB; the caller's periodic rescan covers what this misses.
 */
export class DbUpdatesWatcher {
  /** Time of the last completed poll (or of the start of the feed), for readiness and the watchdog. */
  lastPollAt = 0;
  /** Position after the last completed poll: a restarted feed resumes from it, missing nothing. */
  lastSeq: unknown;

  constructor(private readonly opts: DbUpdatesWatcherOptions) {}

  /** The current position of the feed; fetched before listing databases so nothing falls in between. */
  async position(signal: AbortSignal): Promise<unknown> {
    const page = await this.opts.couch.request<{ last_seq: unknown }>({ path: '_db_updates', qs: { feed: 'normal', since: 'now' }, signal });
    return page.last_seq;
  }

  async run(since: unknown, signal: AbortSignal): Promise<void> {
    const { couch, logger, metrics, feedTimeoutMs } = this.opts;
    let attempt = 0;
    // A longpoll on a quiet server legitimately takes the whole feed timeout.
    this.lastPollAt = Date.now();
    this.lastSeq = since;
    while (!signal.aborted) {
      try {
        const page = await couch.dbUpdates({ since, timeoutMs: feedTimeoutMs, signal });
        this.lastPollAt = Date.now();
        attempt = 0;
        for (const update of page.results) this.opts.onUpdate(update);
        since = page.last_seq;
        this.lastSeq = since;
      } catch (err) {
        if (signal.aborted) return;
        const e = err instanceof CouchError ? err : new CouchError('transient', undefined, String(err));
        if (e.fatal) return this.opts.onFatal(e);
        if (e.kind === 'bad_request' || e.kind === 'doc_not_found' || e.kind === 'db_not_found') {
          return this.opts.onUnavailable(e.message);
        }
        metrics.feedErrors.inc({ kind: e.kind });
        const delay = backoffDelay(attempt++);
        logger.warn({ err: e.message, retryInMs: delay }, '_db_updates feed failed; retrying');
        await abortableSleep(delay, signal);
      }
    }
  }
}
