import { entryFor, isNumberKey, jsonEqual, type EntryData } from '../rules/index.js';

export interface WrongEntry {
  number: string;
  expected: unknown;
  actual: unknown;
}

export interface AccountDrift {
  accountId: string;
  /** Numbers the account must list but its doc lacks. */
  missing: string[];
  /** Numbers its doc lists but must not. */
  extra: string[];
  /** Numbers listed with an entry that differs from the computed one (locality ignored). */
  wrong: WrongEntry[];
  /** Envelope fields that are not canonical. */
  envelope: string[];
}

const ENVELOPE = ['pvt_type', 'pvt_vsn', 'pvt_account_id'] as const;

/**
 * Compares one account doc with the truth (pure). Undefined when they agree. A missing doc
 * agrees with an empty truth: the daemon does not create empty docs.
 */
export function compareAccount(
  accountId: string,
  expected: ReadonlyMap<string, EntryData>,
  actual: Record<string, unknown> | undefined,
): AccountDrift | undefined {
  const drift: AccountDrift = { accountId, missing: [], extra: [], wrong: [], envelope: [] };
  const doc = actual ?? {};
  for (const [number, data] of expected) {
    if (!(number in doc)) {
      drift.missing.push(number);
      continue;
    }
    const want = entryFor(data, accountId);
    const { locality: _locality, ...have } = (doc[number] ?? {}) as Record<string, unknown>;
    if (!jsonEqual(want, have)) drift.wrong.push({ number, expected: want, actual: doc[number] });
  }
  for (const key of Object.keys(doc)) if (isNumberKey(key) && !expected.has(key)) drift.extra.push(key);
  if (actual) {
    const canonical = { pvt_type: 'phone_numbers', pvt_vsn: '1', pvt_account_id: accountId };
    for (const key of ENVELOPE) if (actual[key] !== canonical[key]) drift.envelope.push(key);
  }
  drift.missing.sort();
  drift.extra.sort();
  const clean = drift.missing.length + drift.extra.length + drift.wrong.length + drift.envelope.length === 0;
  return clean ? undefined : drift;
}
