// Account ids and their databases (docs/rules.md, "Databases and ids"). This is a security
// boundary: nothing but exactly 32 characters of [0-9a-z] may ever become a database name.
// KAZOO generates hex ids but accepts any 32-byte id, and its own fixtures use ids such as
// 'account0000000000000000000000002'; [0-9a-z] keeps every one a name CouchDB accepts.

import { encodeDbName } from './db-name.js';

const ACCOUNT_ID_RE = /^[0-9a-z]{32}$/;
const ACCOUNT_DB_RE = /^account\/([0-9a-z]{2})\/([0-9a-z]{2})\/([0-9a-z]{28})$/;

export class InvalidAccountIdError extends Error {
  constructor(value: unknown) {
    // Never echo a huge or hostile value in full.
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
    super(`invalid account id: ${shown}`);
    this.name = 'InvalidAccountIdError';
  }
}

/** Exactly 32 characters, each an ASCII lowercase letter or digit. */
export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && ACCOUNT_ID_RE.test(value);
}

/** '43579fc0a3aa11e29e960800200c9a66' -> 'account/43/57/9fc0a3aa11e29e960800200c9a66'. */
export function accountDbName(accountId: string): string {
  if (!isAccountId(accountId)) throw new InvalidAccountIdError(accountId);
  return `account/${accountId.slice(0, 2)}/${accountId.slice(2, 4)}/${accountId.slice(4)}`;
}

/** 'account%2F43%2F57%2F9fc0...' (for HTTP paths and pvt_account_db). */
export function encodedAccountDbName(accountId: string): string {
  return encodeDbName(accountDbName(accountId));
}

/**
 * Inverse of accountDbName for a decoded db name. Strict: anything else (encoded names,
 * uppercase, account modb dbs like 'account/xx/yy/rest-202401', other dbs) -> undefined.
 */
export function accountIdFromDbName(dbName: string): string | undefined {
  if (typeof dbName !== 'string') return undefined;
  const m = ACCOUNT_DB_RE.exec(dbName);
  return m ? `${m[1]}${m[2]}${m[3]}` : undefined;
}
