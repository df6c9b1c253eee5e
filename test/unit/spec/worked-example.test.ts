// SPEC §6, step by step: number docs change, every account doc is recomputed from the whole
// truth and "written" (as CouchDB would: JSON round trip, new _rev) only when changed.
import { describe, expect, it } from 'vitest';
import { buildAccountDoc } from '../../../src/spec/account-doc.js';
import { encodedAccountDbName } from '../../../src/spec/account.js';
import { numberDbName } from '../../../src/spec/e164.js';
import { expectedAccountDocs } from '../../../src/spec/truth.js';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const C = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const D = 'd00d00d00d00d00d00d00d00d00d00d1';
const ACCOUNTS = [P, C, D] as const;
const N1 = '+14155550100';
const N2 = '+14155550101';
const N3 = '+12125550199';

const T0 = 63871286400; // 2024-01-01T00:00:00Z
const t = (step: number): number => T0 + step * 60;

type Doc = Record<string, unknown>;

// The world: number docs by id, stored account docs, and a clock.
const numberDocs = new Map<string, { dbName: string; doc: Doc }>();
const stored = new Map<string, Doc | null>(ACCOUNTS.map((a) => [a, null]));
const revs = new Map<string, number>(ACCOUNTS.map((a) => [a, 0]));

function putNumber(doc: Doc): void {
  const id = doc._id as string;
  const prev = numberDocs.get(id)?.doc._rev as string | undefined;
  const rev = `${prev ? Number(prev.split('-')[0]) + 1 : 1}-n`;
  numberDocs.set(id, { dbName: numberDbName(id), doc: { ...doc, _rev: rev } });
}

/** Rebuild every account doc at time `now`; returns the accounts whose doc was written. */
function sync(now: number): string[] {
  const truth = expectedAccountDocs(numberDocs.values());
  const written: string[] = [];
  for (const account of ACCOUNTS) {
    const { doc, changed } = buildAccountDoc({
      accountId: account,
      existing: stored.get(account) ?? null,
      entries: truth.get(account) ?? new Map(),
      now,
    });
    if (!changed) continue;
    const rev = (revs.get(account) ?? 0) + 1;
    revs.set(account, rev);
    stored.set(account, JSON.parse(JSON.stringify({ ...doc, _rev: `${rev}-a` })) as Doc);
    written.push(account);
  }
  return written;
}

/** The exact expected doc, written out literally. */
function accountDoc(account: string, rev: number, modified: number, numbers: Doc = {}): Doc {
  return {
    _id: 'phone_numbers',
    _rev: `${rev}-a`,
    pvt_type: 'phone_numbers',
    pvt_vsn: '1',
    pvt_account_db: encodedAccountDbName(account),
    pvt_account_id: account,
    pvt_created: T0,
    pvt_modified: modified,
    ...numbers,
  };
}

function expectDocs(expected: Record<string, Doc>): void {
  for (const account of ACCOUNTS) expect(stored.get(account), account).toStrictEqual(expected[account]);
}

describe('SPEC §6 worked example', () => {
  it('step 0: the three account dbs get an empty phone_numbers doc', () => {
    expect(sync(T0)).toEqual([P, C, D]);
    expect(stored.get(P)).toStrictEqual({
      _id: 'phone_numbers',
      _rev: '1-a',
      pvt_type: 'phone_numbers',
      pvt_vsn: '1',
      pvt_account_db: 'account%2Fa1%2Fb2%2Fc3d4e5f60718293a4b5c6d7e8f90',
      pvt_account_id: P,
      pvt_created: T0,
      pvt_modified: T0,
    });
    expectDocs({ [P]: accountDoc(P, 1, T0), [C]: accountDoc(C, 1, T0), [D]: accountDoc(D, 1, T0) });
  });

  it('step 1: D buys N1 (in_service, owner D) -> D lists N1', () => {
    putNumber({
      _id: N1,
      pvt_state: 'in_service',
      pvt_assigned_to: D,
      pvt_reserve_history: [],
      pvt_features: { outbound_cnam: { display_name: 'ACME' } },
      pvt_module_name: 'wnm_bandwidth',
      pvt_created: t(1),
      pvt_modified: t(1),
    });
    expect(sync(t(1))).toEqual([D]);
    expectDocs({
      [P]: accountDoc(P, 1, T0),
      [C]: accountDoc(C, 1, T0),
      [D]: accountDoc(D, 2, t(1), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(1),
          updated: t(1),
        },
      }),
    });
  });

  it('step 2: P reserves N2 (reserved, owner P, H=[P]) -> P lists N2, on_subaccount false', () => {
    putNumber({
      _id: N2,
      pvt_state: 'reserved',
      pvt_assigned_to: P,
      pvt_reserve_history: [P],
      pvt_created: t(2),
      pvt_modified: t(2),
    });
    expect(sync(t(2))).toEqual([P]);
    expect(stored.get(P)).toStrictEqual(
      accountDoc(P, 2, t(2), {
        [N2]: {
          state: 'reserved',
          features: [],
          assigned_to: P,
          on_subaccount: false,
          used_by: '',
          created: t(2),
          updated: t(2),
        },
      }),
    );
    expect(stored.get(C)).toStrictEqual(accountDoc(C, 1, T0));
    expect(stored.get(D)?._rev).toBe('2-a');
  });

  it('step 3: C activates N2 -> C lists N2 (false); P keeps N2 assigned to C, on_subaccount true', () => {
    putNumber({ ...numberDocs.get(N2)!.doc, pvt_state: 'in_service', pvt_assigned_to: C, pvt_modified: t(3) });
    expect(sync(t(3))).toEqual([P, C]);
    const n2 = {
      state: 'in_service',
      features: [],
      assigned_to: C,
      used_by: '',
      created: t(2),
      updated: t(3),
    };
    expectDocs({
      [P]: accountDoc(P, 3, t(3), { [N2]: { ...n2, on_subaccount: true } }),
      [C]: accountDoc(C, 2, t(3), { [N2]: { ...n2, on_subaccount: false } }),
      [D]: accountDoc(D, 2, t(1), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(1),
          updated: t(1),
        },
      }),
    });
    // Entry key order is the SPEC's.
    expect(Object.keys(stored.get(P)![N2] as Doc)).toEqual([
      'state',
      'features',
      'assigned_to',
      'on_subaccount',
      'used_by',
      'created',
      'updated',
    ]);
  });

  it('step 4: N3 created for D (reserved, owner D, H=[D], wnm_local) -> D lists N3 with ["local"]', () => {
    putNumber({
      _id: N3,
      pvt_state: 'reserved',
      pvt_assigned_to: D,
      pvt_reserve_history: [D],
      pvt_module_name: 'wnm_local',
      pvt_created: t(4),
      pvt_modified: t(4),
    });
    expect(numberDocs.get(N3)!.dbName).toBe('numbers/+1212');
    expect(sync(t(4))).toEqual([D]);
    expect(stored.get(D)).toStrictEqual(
      accountDoc(D, 3, t(4), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(1),
          updated: t(1),
        },
        [N3]: {
          state: 'reserved',
          features: ['local'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(4),
          updated: t(4),
        },
      }),
    );
    expect(stored.get(P)?._rev).toBe('3-a');
    expect(stored.get(C)?._rev).toBe('2-a');
  });

  it('step 5: N1 moved D -> C (prev D, H=[]) -> N1 leaves D, C lists N1', () => {
    putNumber({
      ...numberDocs.get(N1)!.doc,
      pvt_assigned_to: C,
      pvt_previously_assigned_to: D,
      pvt_reserve_history: [],
      pvt_modified: t(5),
    });
    expect(sync(t(5))).toEqual([C, D]);
    const n2 = { state: 'in_service', features: [], assigned_to: C, used_by: '', created: t(2), updated: t(3) };
    expectDocs({
      [P]: accountDoc(P, 3, t(3), { [N2]: { ...n2, on_subaccount: true } }),
      [C]: accountDoc(C, 3, t(5), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: C,
          on_subaccount: false,
          used_by: '',
          created: t(1),
          updated: t(5),
        },
        [N2]: { ...n2, on_subaccount: false },
      }),
      [D]: accountDoc(D, 4, t(5), {
        [N3]: {
          state: 'reserved',
          features: ['local'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(4),
          updated: t(4),
        },
      }),
    });
    // Numbers are written in sorted order.
    expect(Object.keys(stored.get(C)!).slice(-2)).toEqual([N1, N2]);
  });

  it('step 6: used_by of N1 set to "callflow" -> C\'s entry for N1 has used_by "callflow"', () => {
    putNumber({ ...numberDocs.get(N1)!.doc, pvt_used_by: 'callflow', pvt_modified: t(6) });
    expect(sync(t(6))).toEqual([C]);
    expect(stored.get(C)).toStrictEqual(
      accountDoc(C, 4, t(6), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: C,
          on_subaccount: false,
          used_by: 'callflow',
          created: t(1),
          updated: t(6),
        },
        [N2]: {
          state: 'in_service',
          features: [],
          assigned_to: C,
          on_subaccount: false,
          used_by: '',
          created: t(2),
          updated: t(3),
        },
      }),
    );
  });

  it('step 7: C releases N2 (reserved, owner P, H=[P]) -> N2 leaves C; P lists N2 (false)', () => {
    putNumber({ ...numberDocs.get(N2)!.doc, pvt_state: 'reserved', pvt_assigned_to: P, pvt_modified: t(7) });
    expect(sync(t(7))).toEqual([P, C]);
    expectDocs({
      [P]: accountDoc(P, 4, t(7), {
        [N2]: {
          state: 'reserved',
          features: [],
          assigned_to: P,
          on_subaccount: false,
          used_by: '',
          created: t(2),
          updated: t(7),
        },
      }),
      [C]: accountDoc(C, 5, t(7), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: C,
          on_subaccount: false,
          used_by: 'callflow',
          created: t(1),
          updated: t(6),
        },
      }),
      [D]: accountDoc(D, 4, t(5), {
        [N3]: {
          state: 'reserved',
          features: ['local'],
          assigned_to: D,
          on_subaccount: false,
          used_by: '',
          created: t(4),
          updated: t(4),
        },
      }),
    });
  });

  it('step 8: P releases N2 (available, no owner, H=[]) -> N2 listed nowhere', () => {
    putNumber({
      ...numberDocs.get(N2)!.doc,
      pvt_state: 'available',
      pvt_assigned_to: '',
      pvt_reserve_history: [],
      pvt_modified: t(8),
    });
    expect(sync(t(8))).toEqual([P]);
    expect(stored.get(P)).toStrictEqual(accountDoc(P, 5, t(8)));
    expect(stored.get(C)?._rev).toBe('5-a');
    expect(stored.get(D)?._rev).toBe('4-a');
  });

  it('step 9: N3 doc deleted -> N3 listed nowhere', () => {
    putNumber({ _id: N3, _deleted: true });
    expect(sync(t(9))).toEqual([D]);
    expect(stored.get(D)).toStrictEqual(accountDoc(D, 5, t(9)));
  });

  it('final: C lists only N1; P and D keep only the envelope', () => {
    expectDocs({
      [P]: accountDoc(P, 5, t(8)),
      [C]: accountDoc(C, 5, t(7), {
        [N1]: {
          state: 'in_service',
          features: ['outbound_cnam'],
          assigned_to: C,
          on_subaccount: false,
          used_by: 'callflow',
          created: t(1),
          updated: t(6),
        },
      }),
      [D]: accountDoc(D, 5, t(9)),
    });
    const truth = expectedAccountDocs(numberDocs.values());
    expect([...truth.keys()]).toEqual([C]);
    expect([...truth.get(C)!.keys()]).toEqual([N1]);
  });

  it('afterwards: a rebuild with nothing new writes nothing (no-op rule)', () => {
    expect(sync(t(10))).toEqual([]);
  });

  it('afterwards: a locality added by the KAZOO API survives rebuilds', () => {
    const locality = { city: 'San Francisco', state: 'CA' };
    const c = stored.get(C)!;
    stored.set(C, { ...c, [N1]: { ...(c[N1] as Doc), locality } });
    expect(sync(t(11))).toEqual([]);
    putNumber({ ...numberDocs.get(N1)!.doc, pvt_features: ['outbound_cnam', 'dash_e911'], pvt_modified: t(12) });
    expect(sync(t(12))).toEqual([C]);
    expect(stored.get(C)![N1]).toStrictEqual({
      state: 'in_service',
      features: ['outbound_cnam', 'dash_e911'],
      assigned_to: C,
      on_subaccount: false,
      used_by: 'callflow',
      created: t(1),
      updated: t(12),
      locality,
    });
  });
});
