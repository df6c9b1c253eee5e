import { redactUrl } from '../util/redact.js';

export type CouchErrorKind = 'db_not_found' | 'doc_not_found' | 'unauthorized' | 'forbidden' | 'conflict' | 'bad_request' | 'transient' | 'timeout';

/** A CouchDB failure reduced to what callers decide on; carries no credentials. */
export class CouchError extends Error {
  constructor(
    readonly kind: CouchErrorKind,
    readonly status: number | undefined,
    message: string,
    /** CouchDB's `reason` of a 4xx answer, where callers tell cases apart (e.g. too_many_keys). */
    readonly reason?: string,
  ) {
    super(redactUrl(message));
    this.name = 'CouchError';
  }

  /** Worth retrying with backoff (network, 5xx, timeouts). */
  get retryable(): boolean {
    return this.kind === 'transient' || this.kind === 'timeout';
  }

  /** Credentials are wrong or lack rights: retrying cannot help. */
  get fatal(): boolean {
    return this.kind === 'unauthorized' || this.kind === 'forbidden';
  }
}

interface NanoLikeError {
  statusCode?: number;
  error?: string;
  reason?: string;
  name?: string;
  code?: string;
  message?: string;
  cause?: { code?: string; message?: string };
}

export function toCouchError(err: unknown, what: string): CouchError {
  if (err instanceof CouchError) return err;
  const e = (err ?? {}) as NanoLikeError;
  const status = e.statusCode;
  const detail = e.reason ?? e.error ?? e.cause?.code ?? e.code ?? e.message ?? String(err);
  const message = `${what}: ${status ?? ''} ${detail}`.replace(/\s+/g, ' ').trim();
  // nano rewraps aborts as a plain Error, so the message is all that is left of the cause.
  if (e.name === 'AbortError' || e.name === 'TimeoutError' || /aborted due to timeout|operation was aborted/i.test(e.message ?? '')) {
    return new CouchError('timeout', undefined, `${what}: request aborted (timeout or shutdown)`);
  }
  if (status === undefined) return new CouchError('transient', undefined, message);
  if (status === 404) {
    const dbMissing = /database does not exist|no_db_file|db_not_found/i.test(`${e.reason ?? ''} ${e.error ?? ''}`);
    return new CouchError(dbMissing ? 'db_not_found' : 'doc_not_found', status, message);
  }
  if (status === 401) return new CouchError('unauthorized', status, message);
  if (status === 403) return new CouchError('forbidden', status, message);
  if (status === 409) return new CouchError('conflict', status, message);
  if (status === 408 || status === 429 || status >= 500) return new CouchError('transient', status, message);
  return new CouchError('bad_request', status, message, e.reason);
}
