import { describe, expect, it } from 'vitest';
import { confirmedDrift, nextAuditAt, parseAuditRecord } from '../../../src/audit/audit-record.js';
import { parseVerifyReport } from '../../../src/audit/verify-child.js';

const HOUR = 3_600_000;

describe('drift audit schedule (pure parts)', () => {
  it('is due one interval after the last audit, or after the process started watching when none is recorded', () => {
    expect(nextAuditAt({ at: 10 * HOUR, driftAccounts: 0, checked: 5, durationMs: 100 }, 0, HOUR)).toBe(11 * HOUR);
    // A fresh deployment: not before the initial sync had an interval to write the docs.
    expect(nextAuditAt(undefined, 5 * HOUR, HOUR)).toBe(6 * HOUR);
  });

  it('counts only accounts drifted in both passes', () => {
    expect(confirmedDrift(['a', 'b', 'c'], ['c', 'a', 'd'])).toEqual(['a', 'c']);
    expect(confirmedDrift(['a'], [])).toEqual([]);
  });

  it('reads a stored record and ignores anything malformed', () => {
    const record = { at: 1700000000000, driftAccounts: 2, checked: 10, durationMs: 1234 };
    expect(parseAuditRecord(JSON.stringify(record))).toEqual(record);
    for (const bad of [null, '', 'not json', '[]', '{"at":1}', JSON.stringify({ ...record, driftAccounts: -1 }), JSON.stringify({ ...record, at: '1' })]) {
      expect(parseAuditRecord(bad), String(bad)).toBeUndefined();
    }
  });

  it('reads the checked count and drifted accounts of a verify --json report, and nothing else', () => {
    const report = {
      clean: false,
      checked: 3,
      summary: {},
      accounts: [
        { accountId: 'a1', missing: [] },
        { accountId: 'b2', missing: [] },
      ],
      missingDatabases: [],
    };
    expect(parseVerifyReport(JSON.stringify(report))).toEqual({ checked: 3, drifted: ['a1', 'b2'] });
    expect(parseVerifyReport(JSON.stringify({ ...report, accounts: [], clean: true }))).toEqual({ checked: 3, drifted: [] });
    expect(parseVerifyReport('cannot reach Redis')).toBeUndefined();
    expect(parseVerifyReport('{"checked":"3","accounts":[]}')).toBeUndefined();
  });
});
