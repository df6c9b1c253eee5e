// The worked example of docs/rules.md as data: the writes of each step (titles are the "change"
// column of its table, word for word) and what the reader should see after it.

export const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
export const C = 'c0ffee00c0ffee00c0ffee00c0ffee01';
export const D = 'd00d00d00d00d00d00d00d00d00d00d1';
export const N1 = '+14155550100';
export const N2 = '+14155550101';
export const N3 = '+12125550199';
export const ACCOUNTS: ReadonlyArray<[name: string, id: string]> = [
  ['P', P],
  ['C', C],
  ['D', D],
];
export const NUMBERS_DBS = ['numbers/+1415', 'numbers/+1212'];

/** 2024-01-01T00:00:00Z in Gregorian seconds. */
const T0 = 63871286400;

export type DemoWrite = { put: Record<string, unknown> & { _id: string } } | { remove: string };

export interface DemoStep {
  title: string;
  expect: string;
  write: DemoWrite;
}

export const WORKED_EXAMPLE: readonly DemoStep[] = [
  {
    title: 'D buys N1 (in_service, owner D)',
    expect: 'D lists N1',
    write: { put: { _id: N1, pvt_state: 'in_service', pvt_assigned_to: D, pvt_reserve_history: [], pvt_created: T0, pvt_modified: T0 } },
  },
  {
    title: 'P reserves N2 (reserved, owner P, H=[P])',
    expect: 'P lists N2 (on_subaccount false)',
    write: { put: { _id: N2, pvt_state: 'reserved', pvt_assigned_to: P, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 } },
  },
  {
    title: 'C activates N2 (in_service, owner C, H=[P])',
    expect: 'C lists N2 (false); P lists N2 with assigned_to C and on_subaccount true',
    write: { put: { _id: N2, pvt_state: 'in_service', pvt_assigned_to: C, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 + 10 } },
  },
  {
    title: 'N3 created for D (reserved, owner D, H=[D], wnm_local)',
    expect: 'D lists N3 with features ["local"]',
    write: {
      put: { _id: N3, pvt_state: 'reserved', pvt_assigned_to: D, pvt_reserve_history: [D], pvt_module_name: 'wnm_local', pvt_created: T0, pvt_modified: T0 },
    },
  },
  {
    title: 'N1 moved D -> C (owner C, previously D, H=[])',
    expect: 'N1 leaves D, C lists N1',
    write: {
      put: {
        _id: N1,
        pvt_state: 'in_service',
        pvt_assigned_to: C,
        pvt_previously_assigned_to: D,
        pvt_reserve_history: [],
        pvt_created: T0,
        pvt_modified: T0 + 20,
      },
    },
  },
  {
    title: 'used_by of N1 set to "callflow"',
    expect: 'C\'s entry for N1 has used_by "callflow"',
    write: {
      put: {
        _id: N1,
        pvt_state: 'in_service',
        pvt_assigned_to: C,
        pvt_previously_assigned_to: D,
        pvt_reserve_history: [],
        pvt_used_by: 'callflow',
        pvt_created: T0,
        pvt_modified: T0 + 30,
      },
    },
  },
  {
    title: 'C releases N2 (reserved, owner P, H=[P])',
    expect: 'N2 leaves C; P lists N2 (false)',
    write: { put: { _id: N2, pvt_state: 'reserved', pvt_assigned_to: P, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 + 40 } },
  },
  {
    title: 'P releases N2 (available, no owner, H=[])',
    expect: 'N2 listed nowhere',
    write: { put: { _id: N2, pvt_state: 'available', pvt_reserve_history: [], pvt_created: T0, pvt_modified: T0 + 50 } },
  },
  { title: 'N3 doc deleted', expect: 'N3 listed nowhere', write: { remove: N3 } },
];
