import { randomBytes, randomInt } from 'node:crypto';
import { CouchError } from '../../src/couch/couch-error.js';
import type { CouchFixture } from './numbers.js';

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

/**
 * Creates `count` numbers databases `numbers/+NNNN` that did not exist before (a name that
 * exists, e.g. another test's, is skipped), and returns their prefixes ('+NNNN').
 */
export async function claimNumbersPrefixes(fx: CouchFixture, count: number): Promise<string[]> {
  const prefixes: string[] = [];
  for (let tries = 0; prefixes.length < count; tries++) {
    if (tries > 200) throw new Error('could not find a free numbers/+NNNN database name');
    const prefix = `+${String(randomInt(1e4)).padStart(4, '0')}`;
    try {
      await fx.couch.request({ method: 'put', db: `numbers/${prefix}` });
      prefixes.push(prefix);
    } catch (err) {
      if (!(err instanceof CouchError && err.status === 412)) throw err;
    }
  }
  return prefixes;
}

/** `count` distinct random numbers database prefixes ('+NNNN'); see claimNumbersPrefixes for ones nobody uses. */
export function freshPrefixes(count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) out.add(`+${String(randomInt(1e4)).padStart(4, '0')}`);
  return [...out];
}
