import { describe, expect, it } from 'vitest';
import { CouchError } from '../../../src/couch/couch-error.js';
import { isRetryableFailedJob, MAX_OUTAGE_DELAY_MS, mayBeCouchOutage, outageDelayMs } from '../../../src/rebuild/job-failure.js';

describe('rebuild failure rules', () => {
  it('only network, 5xx and timeout errors may mean an outage', () => {
    expect(mayBeCouchOutage(new CouchError('transient', undefined, 'ECONNREFUSED'))).toBe(true);
    expect(mayBeCouchOutage(new CouchError('transient', 503, 'unavailable'))).toBe(true);
    expect(mayBeCouchOutage(new CouchError('timeout', undefined, 'timeout'))).toBe(true);
    expect(mayBeCouchOutage(new CouchError('conflict', 409, 'conflict'))).toBe(false);
    expect(mayBeCouchOutage(new CouchError('bad_request', 400, 'bad'))).toBe(false);
    expect(mayBeCouchOutage(new Error('redis'))).toBe(false);
  });

  it('postpones exponentially from the base, with jitter, never beyond the cap', () => {
    expect(outageDelayMs(0, 100, () => 1)).toBe(100);
    expect(outageDelayMs(3, 100, () => 1)).toBe(800);
    expect(outageDelayMs(3, 100, () => 0)).toBe(400);
    expect(outageDelayMs(1000, 100, () => 1)).toBe(MAX_OUTAGE_DELAY_MS);
    expect(outageDelayMs(-5, 100, () => 1)).toBe(100);
  });

  it('retries every failed job but one whose account id is invalid', () => {
    expect(isRetryableFailedJob({ accountId: 'aaaa0000aaaa0000aaaa0000aaaa0000' })).toBe(true);
    expect(isRetryableFailedJob({ accountId: 'not-an-account' })).toBe(false);
    expect(isRetryableFailedJob({})).toBe(false);
    expect(isRetryableFailedJob(undefined)).toBe(false);
  });
});
