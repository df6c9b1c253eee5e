// docs/rules.md "Databases and ids" / "Reading a number doc": E.164 numbers and the
// `numbers/+XXXX` databases they live in.

const E164_RE = /^\+[0-9]{8,15}$/;
const FOLLOWED_DB_RE = /^numbers\/\+[0-9]{4}$/;

export const NUMBERS_DB_PREFIX = 'numbers/';

/** Normalised E.164: '+' then 8-15 ASCII digits, nothing else. */
export function isE164(value: unknown): value is string {
  return typeof value === 'string' && E164_RE.test(value);
}

/** '+14158867900' -> 'numbers/+1415' (decoded name). Throws on non-E.164 input. */
export function numberDbName(number: string): string {
  if (!isE164(number)) {
    throw new TypeError(`not an E.164 number: ${JSON.stringify(String(number).slice(0, 64))}`);
  }
  return NUMBERS_DB_PREFIX + number.slice(0, 5);
}

/** Only `numbers/+` + 4 digits is followed; carrier inventory dbs (numbers/managed...) are not. */
export function isFollowedNumbersDb(dbName: string): boolean {
  return typeof dbName === 'string' && FOLLOWED_DB_RE.test(dbName);
}

/** Any `numbers/...` database, followed or not (used to log ignored ones once). */
export function isNumbersDbName(dbName: string): boolean {
  return typeof dbName === 'string' && dbName.startsWith(NUMBERS_DB_PREFIX);
}
