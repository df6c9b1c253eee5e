import { describe, expect, it } from 'vitest';
import { expectedAccountDocs } from '../../../src/rules/truth.js';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const C = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const D = 'd00d00d00d00d00d00d00d00d00d00d1';

function toPlain(m: Map<string, Map<string, unknown>>): Record<string, Record<string, unknown>> {
  return Object.fromEntries([...m].map(([a, nums]) => [a, Object.fromEntries(nums)]));
}

describe('expectedAccountDocs', () => {
  it('empty input -> empty map', () => {
    expect(expectedAccountDocs([]).size).toBe(0);
  });

  it('fans a number out to owner and history accounts', () => {
    const truth = expectedAccountDocs([
      {
        dbName: 'numbers/+1415',
        doc: { _id: '+14155550101', pvt_state: 'in_service', pvt_assigned_to: C, pvt_reserve_history: [P] },
      },
    ]);
    const data = { state: 'in_service', features: [], assigned_to: C, used_by: '', created: 0, updated: 0 };
    expect(toPlain(truth)).toEqual({ [C]: { '+14155550101': data }, [P]: { '+14155550101': data } });
  });

  it('skips invalid, deleted, discovery and unlisted docs', () => {
    const truth = expectedAccountDocs([
      { dbName: 'numbers/+1415', doc: { _id: '_design/x' } },
      { dbName: 'numbers/+1212', doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: D } },
      { dbName: 'numbers/managed', doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: D } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550102', pvt_state: 'in_service', pvt_assigned_to: '../x', pvt_reserve_history: [P] } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550103', _deleted: true } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550104', pvt_state: 'in_service', pvt_assigned_to: D, pvt_deleted: true } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550105', pvt_state: 'discovery', pvt_reserve_history: [P] } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550106', pvt_state: 'available', pvt_assigned_to: D } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550107' } },
      { dbName: 'numbers/+1415', doc: null },
    ]);
    expect(truth.size).toBe(0);
  });

  it('accepts any iterable; the last readable doc for a number wins', () => {
    function* docs() {
      yield { dbName: 'numbers/+1415', doc: { _id: '+14155550100', pvt_state: 'reserved', pvt_assigned_to: D } };
      yield { dbName: 'numbers/+1415', doc: { _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: C } };
    }
    const truth = expectedAccountDocs(docs());
    expect([...truth.keys()]).toEqual([C]);
    expect(truth.get(C)?.get('+14155550100')?.state).toBe('in_service');

    const tombstoned = expectedAccountDocs([
      { dbName: 'numbers/+1415', doc: { _id: '+14155550100', pvt_state: 'reserved', pvt_assigned_to: D } },
      { dbName: 'numbers/+1415', doc: { _id: '+14155550100', _deleted: true } },
    ]);
    expect(tombstoned.size).toBe(0);
  });
});
