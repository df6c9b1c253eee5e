import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/util/backoff.js';
import { redactSecrets, redactUrl } from '../../../src/util/redact.js';
import { toCouchError } from '../../../src/couch/couch-error.js';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with bounded jitter', () => {
    const opts = { initialMs: 100, maxMs: 1000, jitter: 0.5 };
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(0, opts, () => 0)).toBe(50);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(1000);
  });
});

describe('redaction', () => {
  it('removes userinfo from URLs and literal secrets', () => {
    expect(redactUrl('failed http://admin:s3cret@host:5984/x')).toBe('failed http://***@host:5984/x');
    expect(redactUrl('redis://:pw@127.0.0.1:6379')).toBe('redis://***@127.0.0.1:6379');
    expect(redactSecrets('password is hunter22', ['hunter22'])).toBe('password is ***');
  });
});

describe('toCouchError', () => {
  it('classifies statuses', () => {
    expect(toCouchError({ statusCode: 404, reason: 'Database does not exist.' }, 'x').kind).toBe('db_not_found');
    expect(toCouchError({ statusCode: 404, reason: 'missing' }, 'x').kind).toBe('doc_not_found');
    expect(toCouchError({ statusCode: 401 }, 'x').fatal).toBe(true);
    expect(toCouchError({ statusCode: 403 }, 'x').fatal).toBe(true);
    expect(toCouchError({ statusCode: 409 }, 'x').kind).toBe('conflict');
    expect(toCouchError({ statusCode: 503 }, 'x').retryable).toBe(true);
    expect(toCouchError(new TypeError('fetch failed'), 'x').retryable).toBe(true);
    expect(toCouchError({ statusCode: 400 }, 'x').kind).toBe('bad_request');
    // nano rewraps an aborted fetch into a plain Error.
    expect(toCouchError(new Error('error happened in your connection. Reason: The operation was aborted due to timeout'), 'x').kind).toBe('timeout');
  });

  it('never carries credentials in its message', () => {
    const err = toCouchError({ message: 'connect ECONNREFUSED http://admin:pw@127.0.0.1:1' }, 'GET http://admin:pw@h/x');
    expect(err.message).not.toContain('pw');
  });
});
