import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';

/**
 * Whether CouchDB answers at all (`GET /`). Tells an outage, where every request fails and a
 * rebuild must wait without using up its attempts, from a failure of one account's requests,
 * which counts as an attempt. Concurrent callers share one probe, and a result is reused for
 * `maxAgeMs`, so an outage under 64 parallel rebuilds costs one request per interval.
 */
export class CouchAvailability {
  private probe: Promise<boolean> | undefined;
  private checkedAt = -Infinity;
  private last = true;

  constructor(
    private readonly couch: CouchClient,
    private readonly maxAgeMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  isAvailable(): Promise<boolean> {
    if (this.now() - this.checkedAt < this.maxAgeMs) return Promise.resolve(this.last);
    this.probe ??= this.couch
      .ping()
      // Only a failure an outage explains counts as unavailable (a 401 is a different problem).
      .then(
        () => true,
        (err: unknown) => !(err instanceof CouchError && err.retryable),
      )
      .then((available) => {
        this.last = available;
        this.checkedAt = this.now();
        this.probe = undefined;
        return available;
      });
    return this.probe;
  }
}
