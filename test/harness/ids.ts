import { randomBytes, randomInt } from 'node:crypto';

/**
 * Ids no other test uses, so a test asserting exact listings holds on a shared server (a real
 * CouchDB given as COUCHDB_URL, where every earlier test and run left its data behind).
 */

/** A random account id (32 hex characters). */
export function freshAccountId(): string {
  return randomBytes(16).toString('hex');
}

/** A random number in the numbers database `numbers/<prefix>` (prefix '+NNNN'): 14 digits. */
export function freshNumber(prefix: string): string {
  return `${prefix}${String(randomInt(1e10)).padStart(10, '0')}`;
}

/** `count` distinct random numbers of one prefix, sorted. */
export function freshNumbers(prefix: string, count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(freshNumber(prefix));
  return [...out].sort();
}

/** `count` distinct random numbers database prefixes ('+NNNN'). */
export function freshPrefixes(count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(`+${String(randomInt(1e4)).padStart(4, '0')}`);
  return [...out];
}

/** A database (or doc id) name no other test uses; starts with a letter as CouchDB requires. */
export function freshName(prefix = 't'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}
