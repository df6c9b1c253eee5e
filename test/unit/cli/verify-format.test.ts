import { describe, expect, it } from 'vitest';
import { findingFor, summarize } from '../../../src/audit/findings.js';
import { renderVerify, summaryLine, verifyReport } from '../../../src/cli/format/verify-format.js';
import type { EntryData } from '../../../src/rules/index.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const B = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const data: EntryData = { state: 'in_service', features: ['local'], assigned_to: A, used_by: '', created: 1, updated: 2 };
const entry = { state: 'in_service', features: ['local'], assigned_to: A, on_subaccount: false, used_by: '', created: 1, updated: 2 };
const envelope = { _id: 'phone_numbers', pvt_type: 'phone_numbers', pvt_vsn: '1', pvt_account_id: A };

describe('findingFor', () => {
  it('is undefined for an agreeing doc', () => {
    expect(findingFor(A, new Map([['+14155550100', data]]), { ...envelope, '+14155550100': { ...entry, locality: { city: 'x' } } })).toBeUndefined();
  });

  it('gives expected entries for missing numbers, actual ones for extra, differing fields for wrong, and envelope values', () => {
    const doc = { ...envelope, pvt_vsn: 1, '+14155550100': { ...entry, state: 'reserved', locality: 'kept' }, '+19995550000': { state: 'x' } };
    const finding = findingFor(
      A,
      new Map([
        ['+14155550100', data],
        ['+14155550101', data],
      ]),
      doc,
    )!;
    expect(finding.missing).toEqual([{ number: '+14155550101', expected: entry }]);
    expect(finding.extra).toEqual([{ number: '+19995550000', actual: { state: 'x' } }]);
    expect(finding.wrong).toEqual([
      { number: '+14155550100', expected: entry, actual: doc['+14155550100'], fields: [{ field: 'state', expected: 'in_service', actual: 'reserved' }] },
    ]);
    expect(finding.envelope).toEqual([{ field: 'pvt_vsn', expected: '1', actual: 1 }]);
    expect(summarize([finding])).toEqual({ accounts: 1, missing: 1, extra: 1, wrong: 1, envelope: 1 });
  });

  it('reports a non-object entry as a whole-entry difference', () => {
    const finding = findingFor(A, new Map([['+14155550100', data]]), { ...envelope, '+14155550100': 'junk' })!;
    expect(finding.wrong[0]!.fields).toEqual([{ field: '(entry)', expected: entry, actual: 'junk' }]);
  });
});

describe('renderVerify', () => {
  it('prints a clean summary', () => {
    const report = verifyReport({ checked: 3, findings: [], missingDatabases: [] });
    expect(report.clean).toBe(true);
    expect(renderVerify(report)).toBe('verify: 3 accounts checked, no drift\n');
  });

  it('prints each kind of drift, accounts without a database and what --fix did', () => {
    const doc = { ...envelope, pvt_type: 'other', '+14155550100': { ...entry, used_by: 'callflow' }, '+19995550000': { state: 'x' } };
    const finding = findingFor(
      A,
      new Map([
        ['+14155550100', data],
        ['+14155550101', data],
      ]),
      doc,
    )!;
    const text = renderVerify(verifyReport({ checked: 1, findings: [finding], missingDatabases: [B] }, [A]));
    expect(text).toBe(
      [
        `account ${A} (account/a1/b2/c3d4e5f60718293a4b5c6d7e8f90)`,
        `  missing   +14155550101  expected ${JSON.stringify(entry)}`,
        '  extra     +19995550000  actual   {"state":"x"}',
        '  wrong     +14155550100',
        '              used_by: expected "", actual "callflow"',
        '  envelope  pvt_type: expected "phone_numbers", actual "other"',
        '',
        'accounts without a database (not written until their database exists): 1',
        `  ${B}`,
        '',
        '--fix: requested a rebuild of 1 drifted account; the workers will rewrite them',
        'verify: 1 account checked, 1 with drift: 1 missing, 1 extra, 1 wrong, 1 envelope',
        '',
      ].join('\n'),
    );
  });

  it('shortens huge values and shows absent ones', () => {
    const finding = findingFor(A, new Map(), { ...envelope, pvt_account_id: undefined, '+19995550000': 'x'.repeat(1000) })!;
    const text = renderVerify(verifyReport({ checked: 1, findings: [finding], missingDatabases: [] }));
    expect(text).toContain('pvt_account_id: expected "a1b2c3d4e5f60718293a4b5c6d7e8f90", actual (absent)');
    expect(text).toMatch(/actual {3}"x{239}\.\.\.\n/);
    expect(summaryLine(verifyReport({ checked: 1, findings: [finding], missingDatabases: [] }))).toContain('1 extra');
  });
});
