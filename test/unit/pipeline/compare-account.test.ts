import { describe, expect, it } from 'vitest';
import { compareAccount } from '../../../src/audit/compare-account.js';
import type { EntryData } from '../../../src/rules/index.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const data: EntryData = { state: 'in_service', features: [], assigned_to: A, used_by: '', created: 1, updated: 2 };
const envelope = { _id: 'phone_numbers', pvt_type: 'phone_numbers', pvt_vsn: '1', pvt_account_id: A };

describe('compareAccount', () => {
  it('agrees with a correct doc, ignoring locality', () => {
    const doc = {
      ...envelope,
      '+14155550100': {
        state: 'in_service',
        features: [],
        assigned_to: A,
        on_subaccount: false,
        used_by: '',
        created: 1,
        updated: 2,
        locality: { city: 'SF' },
      },
    };
    expect(compareAccount(A, new Map([['+14155550100', data]]), doc)).toBeUndefined();
  });

  it('reports missing, extra and wrong entries and a bad envelope', () => {
    const doc = {
      ...envelope,
      pvt_vsn: 1,
      '+14155550100': { state: 'reserved' },
      '+14155550199': { state: 'in_service' },
    };
    const drift = compareAccount(
      A,
      new Map([
        ['+14155550100', data],
        ['+14155550101', data],
      ]),
      doc,
    );
    expect(drift).toMatchObject({ missing: ['+14155550101'], extra: ['+14155550199'], envelope: ['pvt_vsn'] });
    expect(drift?.wrong.map((w) => w.number)).toEqual(['+14155550100']);
  });

  it('accepts a missing doc for an account that lists nothing', () => {
    expect(compareAccount(A, new Map(), undefined)).toBeUndefined();
  });
});
