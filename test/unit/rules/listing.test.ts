import { describe, expect, it } from 'vitest';
import { LISTED_STATES, entryData, entryFor, listingAccounts } from '../../../src/rules/listing.js';
import type { NumberInfo } from '../../../src/rules/number-doc.js';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const C = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const D = 'd00d00d00d00d00d00d00d00d00d00d1';

function info(extra: Partial<NumberInfo> = {}): NumberInfo {
  return {
    number: '+14155550100',
    state: 'in_service',
    owner: C,
    history: [],
    features: [],
    usedBy: '',
    created: 1,
    updated: 2,
    deleted: false,
    ...extra,
  };
}

describe('LISTED_STATES', () => {
  it('is U from docs/rules.md', () => {
    expect([...LISTED_STATES].sort()).toEqual(['in_service', 'port_in', 'port_out', 'reserved']);
  });
});

describe('listingAccounts', () => {
  it.each([...LISTED_STATES])('owner lists in state %s', (state) => {
    expect(listingAccounts(info({ state }))).toEqual([C]);
  });

  it.each(['available', 'released', 'disconnected', 'deleted', 'aging', 'port_rejected', 'weird'])('owner does not list in state %s', (state) => {
    expect(listingAccounts(info({ state }))).toEqual([]);
  });

  it.each(['available', 'released', 'disconnected', 'weird'])('history accounts list in any state (%s)', (state) => {
    expect(listingAccounts(info({ state, history: [P, D] }))).toEqual([P, D]);
  });

  it('history accounts list alongside a listing owner', () => {
    expect(listingAccounts(info({ state: 'in_service', history: [P, D] }))).toEqual([P, C, D]);
  });

  it('the owner in its own history lists only by state', () => {
    expect(listingAccounts(info({ state: 'reserved', history: [C] }))).toEqual([C]);
    expect(listingAccounts(info({ state: 'available', history: [C] }))).toEqual([]);
  });

  it('parent keeps a number a sub-account activated', () => {
    expect(listingAccounts(info({ state: 'in_service', owner: C, history: [P] }))).toEqual([C, P].sort());
  });

  it('unassigned numbers are listed only by history', () => {
    const { owner: _, ...rest } = info();
    expect(listingAccounts({ ...rest, state: 'reserved' })).toEqual([]);
    expect(listingAccounts({ ...rest, state: 'reserved', history: [D] })).toEqual([D]);
  });

  it('discovery is listed nowhere, not even by history', () => {
    expect(listingAccounts(info({ state: 'discovery', history: [P] }))).toEqual([]);
  });

  it('deleted is listed nowhere', () => {
    expect(listingAccounts(info({ deleted: true, history: [P] }))).toEqual([]);
  });

  it('sorted and unique', () => {
    expect(listingAccounts(info({ owner: P, history: [D, C, D, P] }))).toEqual([P, C, D]);
  });
});

describe('entryData / entryFor', () => {
  const full = info({ owner: C, features: ['dash_e911'], usedBy: 'callflow', created: 63520338360, updated: 63529420348 });

  it('entryData is the account-independent part', () => {
    expect(entryData(full)).toEqual({
      state: 'in_service',
      features: ['dash_e911'],
      assigned_to: C,
      used_by: 'callflow',
      created: 63520338360,
      updated: 63529420348,
    });
  });

  it('owner entry: on_subaccount false, exact key order', () => {
    const e = entryFor(entryData(full), C);
    expect(e).toEqual({
      state: 'in_service',
      features: ['dash_e911'],
      assigned_to: C,
      on_subaccount: false,
      used_by: 'callflow',
      created: 63520338360,
      updated: 63529420348,
    });
    expect(Object.keys(e)).toEqual(['state', 'features', 'assigned_to', 'on_subaccount', 'used_by', 'created', 'updated']);
  });

  it('history entry: on_subaccount true', () => {
    expect(entryFor(entryData(full), P).on_subaccount).toBe(true);
  });

  it('no owner: assigned_to omitted, on_subaccount true', () => {
    const { owner: _, ...rest } = full;
    const e = entryFor(entryData({ ...rest, state: 'available' }), D);
    expect('assigned_to' in e).toBe(false);
    expect(e.on_subaccount).toBe(true);
    expect(Object.keys(e)).toEqual(['state', 'features', 'on_subaccount', 'used_by', 'created', 'updated']);
  });

  it('copies arrays so entries never alias each other or the info', () => {
    const data = entryData(full);
    expect(data.features).not.toBe(full.features);
    const e1 = entryFor(data, C);
    const e2 = entryFor(data, P);
    expect(e1.features).not.toBe(data.features);
    expect(e1.features).not.toBe(e2.features);
  });
});
