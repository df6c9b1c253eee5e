// docs/rules.md "The entry" and "The account document": rebuilding an account's
// `phone_numbers` doc from the entries it must list.

import { encodedAccountDbName } from './account.js';
import { isE164 } from './e164.js';
import { isPlainObject, jsonEqual, setOwn, show, type JsonObject } from './json.js';
import { entryFor, type EntryData } from './listing.js';

export const PHONE_NUMBERS_DOC_ID = 'phone_numbers';

/** Public keys are number entries; `_*` and `pvt_*` keys are envelope. */
export function isNumberKey(key: string): boolean {
  return !key.startsWith('_') && !key.startsWith('pvt_');
}

/** Envelope keys that are always rewritten or computed. */
const CANONICAL_KEYS: ReadonlySet<string> = new Set(['_id', 'pvt_type', 'pvt_vsn', 'pvt_account_db', 'pvt_account_id', 'pvt_created', 'pvt_modified']);

export interface BuildInput {
  accountId: string;
  existing?: Record<string, unknown> | null;
  /** number -> entry data, exactly the numbers this account lists (docs/rules.md, "Who lists a number"). */
  entries: ReadonlyMap<string, EntryData> | Record<string, EntryData>;
  /** Gregorian seconds. */
  now: number;
}

export interface BuildResult {
  doc: Record<string, unknown>;
  /** false: only pvt_modified would differ from `existing`, so do not write (no-op rule). */
  changed: boolean;
}

/**
 * Throws InvalidAccountIdError for a bad account id and TypeError for a non-E.164 entry key
 * (a caller bug: such a key could overwrite envelope fields).
 * Key order of the result: _id, _rev, canonical pvt_*, other pvt_*, _attachments, numbers sorted.
 */
export function buildAccountDoc(input: BuildInput): BuildResult {
  const { accountId, now } = input;
  const accountDb = encodedAccountDbName(accountId);
  const existing = isPlainObject(input.existing) ? input.existing : undefined;

  const doc: JsonObject = { _id: PHONE_NUMBERS_DOC_ID };
  if (existing && existing._rev !== undefined) doc._rev = existing._rev;
  doc.pvt_type = 'phone_numbers';
  doc.pvt_vsn = '1';
  doc.pvt_account_db = accountDb;
  doc.pvt_account_id = accountId;
  const created = existing?.pvt_created;
  doc.pvt_created = typeof created === 'number' && Number.isFinite(created) ? created : now;
  doc.pvt_modified = now;

  if (existing) {
    // Only _rev and _attachments survive among `_` keys: others (_deleted, _conflicts,
    // '__proto__'...) are metadata or junk, and CouchDB rejects unknown `_` members on write.
    for (const [key, value] of Object.entries(existing)) {
      if (key.startsWith('pvt_') && !CANONICAL_KEYS.has(key)) setOwn(doc, key, value);
    }
    if (existing._attachments !== undefined) doc._attachments = existing._attachments;
  }

  for (const [number, data] of sortedEntries(input.entries)) {
    const entry = entryFor(data, accountId);
    const old = existing?.[number];
    if (isPlainObject(old) && Object.hasOwn(old, 'locality')) entry.locality = old.locality;
    doc[number] = entry;
  }

  return { doc, changed: existing === undefined || !sameExceptModified(doc, existing) };
}

function sortedEntries(entries: BuildInput['entries']): [string, EntryData][] {
  const list: [string, EntryData][] = entries instanceof Map ? [...entries] : Object.entries(entries as Record<string, EntryData>);
  for (const [number] of list) {
    if (!isE164(number)) throw new TypeError(`entry key is not an E.164 number: ${show(number)}`);
  }
  return list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Keys that matter for the no-op rule. Read-only metadata (_conflicts, _revisions... as
 * returned by some GET options) is never written back, so it must not force a write. */
function compared(key: string): boolean {
  if (key === 'pvt_modified') return false;
  return !key.startsWith('_') || key === '_id' || key === '_rev' || key === '_attachments';
}

function sameExceptModified(doc: JsonObject, existing: JsonObject): boolean {
  const strip = (o: JsonObject): JsonObject => {
    const copy: JsonObject = {};
    for (const [k, v] of Object.entries(o)) if (compared(k)) setOwn(copy, k, v);
    return copy;
  };
  return jsonEqual(strip(doc), strip(existing));
}
