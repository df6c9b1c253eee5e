// HTTP basic auth, checked in constant time: the embedded server's admin and the daemon's
// dashboard. Lives with the embedded server, which imports nothing from the daemon.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  user: string;
  password: string;
}

/** Parses an `Authorization: Basic ...` header; undefined when absent or malformed. */
export function parseBasicAuth(header: string | undefined): Credentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** True when the header carries exactly the expected credentials. */
export function basicAuthMatches(header: string | undefined, expected: Credentials): boolean {
  return credentialsMatch(parseBasicAuth(header), expected);
}

/**
 * Both parts are always compared, as fixed-length digests with timingSafeEqual, so the answer
 * time reveals neither which part was wrong nor how much of it matched.
 */
export function credentialsMatch(given: Credentials | undefined, expected: Credentials): boolean {
  const userOk = safeEqual(given?.user ?? '', expected.user);
  const passwordOk = safeEqual(given?.password ?? '', expected.password);
  return given !== undefined && userOk && passwordOk;
}

/** String equality in time independent of where they differ and of their lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
