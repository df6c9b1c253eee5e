// docs/rules.md "Reading a number doc": an untrusted number doc reduced to the few facts the
// invariant needs.
//
// Details behind the rules' wording (each is deliberate; "Edge cases" in docs/rules.md):
// - `dbName` is the decoded database name ('numbers/+1415', not 'numbers%2F%2B1415').
// - `_design/...` ids -> 'design_doc'; any other non-E.164 or missing `_id` -> 'bad_id'.
// - A deleted doc (`_deleted: true` or `pvt_deleted: true`, booleans only) still needs a valid
//   `_id` in the right db, then is ok with deleted=true: tombstones carry no state, so state
//   and owner are best effort ('' / undefined) and warnings are not reported for it.
// - state: `pvt_state` unless it is undefined/null, else `pvt_number_state`. It must be a
//   non-empty string of at most MAX_STRING_LENGTH chars, otherwise 'bad_state'.
// - `pvt_assigned_to` other than missing/null/""/a valid account id -> 'bad_owner': such a
//   number is listed nowhere (not even in its history accounts), since we cannot tell who
//   really owns it.
// - Hostile sizes are capped so one doc cannot blow up an account doc: only the first
//   MAX_LIST_ITEMS items of history/features are read; feature names and used_by longer than
//   MAX_STRING_LENGTH are dropped (not truncated: a truncated name would be a new name).
// - Features are bounded tighter, since every account listing the number (owner and reserve
//   history) copies them into its doc: at most MAX_FEATURES items are read and names longer
//   than MAX_FEATURE_LENGTH are dropped, so one entry stays under ~5 KB (KAZOO's features are
//   a dozen short names; 1,000 names of 256 chars made ~260 KB per entry, and 32 such numbers
//   pushed a victim's doc past CouchDB's 8 MB max_document_size).

import { isAccountId } from './account.js';
import { isE164, numberDbName } from './e164.js';
import { isPlainObject, show, type JsonObject } from './json.js';

export const MAX_LIST_ITEMS = 1000;
export const MAX_STRING_LENGTH = 256;
export const MAX_FEATURES = 64;
export const MAX_FEATURE_LENGTH = 64;
const LOCAL_MODULES: ReadonlySet<string> = new Set(['wnm_local', 'knm_local']);

export interface NumberInfo {
  number: string;
  state: string;
  /** Valid account id, or undefined when unassigned. */
  owner?: string;
  /** Valid, unique account ids from pvt_reserve_history, in doc order. */
  history: string[];
  features: string[];
  usedBy: string;
  created: number;
  updated: number;
  deleted: boolean;
}

export const INVALID_REASONS = ['not_object', 'design_doc', 'bad_id', 'wrong_database', 'bad_state', 'bad_owner'] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

/** Problems that do not invalidate the doc; the bad part is ignored. */
export const WARNING_REASONS = [
  'bad_history', // pvt_reserve_history is not an array
  'bad_history_id', // an item of it is not an account id
  'history_truncated',
  'bad_features', // pvt_features is neither an array nor an object
  'bad_feature', // an array item is not a string
  'feature_too_long',
  'features_truncated',
  'bad_used_by', // not a string
  'used_by_too_long',
  'bad_timestamp', // pvt_created / pvt_modified present but not a number (read as 0)
  'bad_module_name', // pvt_module_name present but not a string (ignored)
  'bad_deleted', // pvt_deleted present but not a boolean (the doc counts as not deleted)
] as const;
export type WarningReason = (typeof WARNING_REASONS)[number];

export interface DocWarning {
  reason: WarningReason;
  detail: string;
}

/** Samples kept per warning reason: a doc with 1,000 bad history ids yields a count, not 1,000 details. */
export const WARNING_SAMPLES_PER_REASON = 3;

export type WarningCounts = Partial<Record<WarningReason, number>>;

export type ReadResult =
  // warnings: at most WARNING_SAMPLES_PER_REASON per reason; warningCounts: how many there were.
  { ok: true; info: NumberInfo; warnings: DocWarning[]; warningCounts: WarningCounts } | { ok: false; reason: InvalidReason; detail: string };

function invalid(reason: InvalidReason, detail: string): ReadResult {
  return { ok: false, reason, detail };
}

export function readNumberDoc(doc: unknown, dbName: string): ReadResult {
  if (!isPlainObject(doc)) return invalid('not_object', `doc is ${Array.isArray(doc) ? 'an array' : show(doc)}`);
  const id = doc._id;
  if (typeof id === 'string' && id.startsWith('_design/')) return invalid('design_doc', `design doc ${show(id)}`);
  if (!isE164(id)) return invalid('bad_id', `_id ${show(id)} is not an E.164 number`);
  const expectedDb = numberDbName(id);
  if (expectedDb !== dbName) {
    return invalid('wrong_database', `${id} belongs in ${expectedDb}, found in ${show(dbName)}`);
  }

  const deleted = doc._deleted === true || doc.pvt_deleted === true;
  const warnings: DocWarning[] = [];
  const warningCounts: WarningCounts = {};
  const warn = (reason: WarningReason, detail: string): void => {
    const seen = warningCounts[reason] ?? 0;
    warningCounts[reason] = seen + 1;
    if (seen < WARNING_SAMPLES_PER_REASON) warnings.push({ reason, detail: `${id}: ${detail}` });
  };

  const state = readState(doc);
  if (state === undefined && !deleted) {
    return invalid('bad_state', `${id}: state ${show(doc.pvt_state ?? doc.pvt_number_state)} is not a valid state`);
  }
  const owner = doc.pvt_assigned_to;
  const ownerValid = owner === undefined || owner === null || owner === '' || isAccountId(owner);
  if (!ownerValid && !deleted) {
    return invalid('bad_owner', `${id}: pvt_assigned_to ${show(owner)} is not an account id`);
  }

  const info: NumberInfo = {
    number: id,
    state: state ?? '',
    history: readHistory(doc.pvt_reserve_history, warn),
    features: readFeatures(doc, warn),
    usedBy: readUsedBy(doc, warn),
    created: readTimestamp(doc, 'pvt_created', warn),
    updated: readTimestamp(doc, 'pvt_modified', warn),
    deleted,
  };
  if (doc.pvt_module_name !== undefined && doc.pvt_module_name !== null && typeof doc.pvt_module_name !== 'string') {
    warn('bad_module_name', `pvt_module_name ${show(doc.pvt_module_name)} is not a string`);
  }
  if (doc.pvt_deleted !== undefined && doc.pvt_deleted !== null && typeof doc.pvt_deleted !== 'boolean') {
    warn('bad_deleted', `pvt_deleted ${show(doc.pvt_deleted)} is not a boolean; the doc counts as not deleted`);
  }
  if (isAccountId(owner)) info.owner = owner;
  return { ok: true, info, warnings: deleted ? [] : warnings, warningCounts: deleted ? {} : warningCounts };
}

function readState(doc: JsonObject): string | undefined {
  const raw = doc.pvt_state ?? doc.pvt_number_state;
  return typeof raw === 'string' && raw.length > 0 && raw.length <= MAX_STRING_LENGTH ? raw : undefined;
}

type Warn = (reason: WarningReason, detail: string) => void;

function readHistory(raw: unknown, warn: Warn): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    warn('bad_history', `pvt_reserve_history ${show(raw)} is not an array`);
    return [];
  }
  let items: unknown[] = raw;
  if (items.length > MAX_LIST_ITEMS) {
    warn('history_truncated', `pvt_reserve_history has ${items.length} items, read ${MAX_LIST_ITEMS}`);
    items = items.slice(0, MAX_LIST_ITEMS);
  }
  const out = new Set<string>();
  for (const item of items) {
    if (isAccountId(item)) out.add(item);
    else warn('bad_history_id', `ignored pvt_reserve_history item ${show(item)}`);
  }
  return [...out];
}

function readFeatures(doc: JsonObject, warn: Warn): string[] {
  const raw = doc.pvt_features;
  let names: unknown[];
  if (raw === undefined || raw === null) names = [];
  else if (Array.isArray(raw)) names = raw;
  else if (isPlainObject(raw)) names = Object.keys(raw);
  else {
    warn('bad_features', `pvt_features ${show(raw)} is neither an array nor an object`);
    names = [];
  }
  if (names.length > MAX_FEATURES) {
    warn('features_truncated', `pvt_features has ${names.length} items, read ${MAX_FEATURES}`);
    names = names.slice(0, MAX_FEATURES);
  }
  const out = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') warn('bad_feature', `ignored non-string feature ${show(name)}`);
    else if (name.length > MAX_FEATURE_LENGTH) warn('feature_too_long', `ignored feature ${show(name)}`);
    else out.add(name);
  }
  if (typeof doc.pvt_module_name === 'string' && LOCAL_MODULES.has(doc.pvt_module_name)) out.add('local');
  return [...out];
}

function readUsedBy(doc: JsonObject, warn: Warn): string {
  const raw = doc.pvt_used_by ?? doc.used_by ?? '';
  if (typeof raw !== 'string') {
    warn('bad_used_by', `used_by ${show(raw)} is not a string`);
    return '';
  }
  if (raw.length > MAX_STRING_LENGTH) {
    warn('used_by_too_long', `used_by ${show(raw)} is too long`);
    return '';
  }
  // KAZOO wrote the literal string "undefined" for unused numbers.
  return raw === 'undefined' ? '' : raw;
}

/** A missing timestamp is 0 silently; one of the wrong type is 0 with a warning. */
function readTimestamp(doc: JsonObject, key: 'pvt_created' | 'pvt_modified', warn: Warn): number {
  const value = doc[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value !== undefined && value !== null) warn('bad_timestamp', `${key} ${show(value)} is not a number; read as 0`);
  return 0;
}
