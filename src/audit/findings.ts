// Pure: turns a drift (compare-account.ts) into what an operator needs to read it: the expected
// and actual entry of every differing number, the differing fields, the bad envelope values.
import { entryFor, isPlainObject, jsonEqual, type EntryData, type NumberEntry } from '../rules/index.js';
import { compareAccount } from './compare-account.js';

export interface WrongField {
  field: string;
  expected: unknown;
  actual: unknown;
}

export interface AccountFinding {
  accountId: string;
  /** Numbers the account must list but its doc lacks, with the entry it should have. */
  missing: Array<{ number: string; expected: NumberEntry }>;
  /** Numbers its doc lists but must not, with what the doc holds. */
  extra: Array<{ number: string; actual: unknown }>;
  /** Numbers listed with a different entry; `fields` are the keys that differ (locality ignored). */
  wrong: Array<{ number: string; expected: NumberEntry; actual: unknown; fields: WrongField[] }>;
  envelope: WrongField[];
}

export interface FindingSummary {
  accounts: number;
  missing: number;
  extra: number;
  wrong: number;
  envelope: number;
}

/** Undefined when the doc agrees with the truth (a missing doc agrees with an empty truth). */
export function findingFor(accountId: string, expected: ReadonlyMap<string, EntryData>, doc: Record<string, unknown> | undefined): AccountFinding | undefined {
  const drift = compareAccount(accountId, expected, doc);
  if (!drift) return undefined;
  const canonical: Record<string, unknown> = { pvt_type: 'phone_numbers', pvt_vsn: '1', pvt_account_id: accountId };
  return {
    accountId,
    missing: drift.missing.map((number) => ({ number, expected: entryFor(expected.get(number)!, accountId) })),
    extra: drift.extra.map((number) => ({ number, actual: doc?.[number] })),
    wrong: drift.wrong
      .map((w) => ({ number: w.number, expected: w.expected as NumberEntry, actual: w.actual, fields: fieldDiff(w.expected, w.actual) }))
      .sort((a, b) => a.number.localeCompare(b.number)),
    envelope: drift.envelope.map((field) => ({ field, expected: canonical[field], actual: doc?.[field] })),
  };
}

export function summarize(findings: readonly AccountFinding[]): FindingSummary {
  const summary: FindingSummary = { accounts: findings.length, missing: 0, extra: 0, wrong: 0, envelope: 0 };
  for (const f of findings) {
    summary.missing += f.missing.length;
    summary.extra += f.extra.length;
    summary.wrong += f.wrong.length;
    summary.envelope += f.envelope.length;
  }
  return summary;
}

/** Keys whose values differ between the expected entry and the stored one (locality is kept by design). */
function fieldDiff(expected: unknown, actual: unknown): WrongField[] {
  const want = isPlainObject(expected) ? expected : {};
  if (!isPlainObject(actual)) return [{ field: '(entry)', expected, actual }];
  const keys = [...new Set([...Object.keys(want), ...Object.keys(actual)])].filter((k) => k !== 'locality');
  return keys.filter((k) => !jsonEqual(want[k], actual[k])).map((field) => ({ field, expected: want[field], actual: actual[field] }));
}
