// The worked example of docs/rules.md, one table row per step: a number doc changes, every
// account doc is recomputed from the whole truth and "written" (as CouchDB would: JSON round
// trip, new _rev) only when changed. Each step checks the exact docs, and that what every
// account lists afterwards is the row of the table in docs/rules.md.
import { describe, expect, it } from 'vitest';
import { buildAccountDoc, isNumberKey } from '../../../src/rules/account-doc.js';
import { encodedAccountDbName } from '../../../src/rules/account.js';
import { numberDbName } from '../../../src/rules/e164.js';
import { expectedAccountDocs } from '../../../src/rules/truth.js';
import { WORKED_EXAMPLE, type DemoWrite } from '../../../src/demo/worked-example.js';
import { type Listings, rulesTable } from '../../fixtures/rules-table.js';

const P = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const C = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const D = 'd00d00d00d00d00d00d00d00d00d00d1';
const ACCOUNTS = [P, C, D] as const;
const ACCOUNT_NAMES = { P, C, D } as const;
type AccountName = keyof typeof ACCOUNT_NAMES;
const N1 = '+14155550100';
const N2 = '+14155550101';
const N3 = '+12125550199';
const NUMBER_NAMES: Record<string, string> = { [N1]: 'N1', [N2]: 'N2', [N3]: 'N3' };

const T0 = 63871286400; // 2024-01-01T00:00:00Z
const t = (step: number): number => T0 + step * 60;

type Doc = Record<string, unknown>;

// ---- The table of docs/rules.md ----------------------------------------------------------

const TABLE = rulesTable();

/** What every account lists in these account docs, in the notation of the table. */
function listingsOf(docs: ReadonlyMap<string, Doc | null | undefined>): Listings {
  const out = {} as Listings;
  for (const [name, account] of Object.entries(ACCOUNT_NAMES) as [AccountName, string][]) {
    const doc = docs.get(account) ?? {};
    out[name] = Object.keys(doc)
      .filter(isNumberKey)
      .map((n) => `${NUMBER_NAMES[n] ?? n}${(doc[n] as Doc).on_subaccount === true ? '*' : ''}`)
      .sort();
  }
  return out;
}

// ---- The world: number docs by id, stored account docs, and a clock ----------------------

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

// ---- Expected entries --------------------------------------------------------------------

function entry(
  state: string,
  owner: string,
  onSubaccount: boolean,
  created: number,
  updated: number,
  extra: { features?: string[]; used_by?: string } = {},
): Doc {
  return {
    state,
    features: extra.features ?? [],
    assigned_to: owner,
    on_subaccount: onSubaccount,
    used_by: extra.used_by ?? '',
    created,
    updated,
  };
}

const N1_OF_D = entry('in_service', D, false, t(1), t(1), { features: ['outbound_cnam'] });
const N2_RESERVED_BY_P = entry('reserved', P, false, t(2), t(2));
const n2ActiveInC = (onSubaccount: boolean): Doc => entry('in_service', C, onSubaccount, t(2), t(3));
const N3_OF_D = entry('reserved', D, false, t(4), t(4), { features: ['local'] });
const N1_MOVED_TO_C = entry('in_service', C, false, t(1), t(5), { features: ['outbound_cnam'] });
const N1_USED_IN_C = entry('in_service', C, false, t(1), t(6), { features: ['outbound_cnam'], used_by: 'callflow' });
const N2_BACK_TO_P = entry('reserved', P, false, t(2), t(7));

// ---- The steps ---------------------------------------------------------------------------

interface Step {
  step: number;
  /** The "change" column of the table, word for word. */
  title: string;
  apply: () => void;
  /** Accounts whose doc the step writes, in account order. */
  written: string[];
  /** Every account doc afterwards, exactly. */
  after: Record<string, Doc>;
  /** Checks particular to the step. */
  check?: () => void;
}

const STEPS: Step[] = [
  {
    step: 1,
    title: 'D buys N1 (in_service, owner D)',
    apply: () =>
      putNumber({
        _id: N1,
        pvt_state: 'in_service',
        pvt_assigned_to: D,
        pvt_reserve_history: [],
        pvt_features: { outbound_cnam: { display_name: 'ACME' } },
        pvt_module_name: 'wnm_bandwidth',
        pvt_created: t(1),
        pvt_modified: t(1),
      }),
    written: [D],
    after: { [P]: accountDoc(P, 1, T0), [C]: accountDoc(C, 1, T0), [D]: accountDoc(D, 2, t(1), { [N1]: N1_OF_D }) },
  },
  {
    step: 2,
    title: 'P reserves N2 (reserved, owner P, H=[P])',
    apply: () => putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: P, pvt_reserve_history: [P], pvt_created: t(2), pvt_modified: t(2) }),
    written: [P],
    after: {
      [P]: accountDoc(P, 2, t(2), { [N2]: N2_RESERVED_BY_P }),
      [C]: accountDoc(C, 1, T0),
      [D]: accountDoc(D, 2, t(1), { [N1]: N1_OF_D }),
    },
  },
  {
    step: 3,
    title: 'C activates N2 (in_service, owner C, H=[P])',
    apply: () => putNumber({ ...numberDocs.get(N2)!.doc, pvt_state: 'in_service', pvt_assigned_to: C, pvt_modified: t(3) }),
    written: [P, C],
    after: {
      [P]: accountDoc(P, 3, t(3), { [N2]: n2ActiveInC(true) }),
      [C]: accountDoc(C, 2, t(3), { [N2]: n2ActiveInC(false) }),
      [D]: accountDoc(D, 2, t(1), { [N1]: N1_OF_D }),
    },
    check: () => {
      // Entry key order is the one of docs/rules.md, "The entry".
      expect(Object.keys(stored.get(P)![N2] as Doc)).toEqual(['state', 'features', 'assigned_to', 'on_subaccount', 'used_by', 'created', 'updated']);
    },
  },
  {
    step: 4,
    title: 'N3 created for D (reserved, owner D, H=[D], wnm_local)',
    apply: () =>
      putNumber({
        _id: N3,
        pvt_state: 'reserved',
        pvt_assigned_to: D,
        pvt_reserve_history: [D],
        pvt_module_name: 'wnm_local',
        pvt_created: t(4),
        pvt_modified: t(4),
      }),
    written: [D],
    after: {
      [P]: accountDoc(P, 3, t(3), { [N2]: n2ActiveInC(true) }),
      [C]: accountDoc(C, 2, t(3), { [N2]: n2ActiveInC(false) }),
      [D]: accountDoc(D, 3, t(4), { [N1]: N1_OF_D, [N3]: N3_OF_D }),
    },
    check: () => expect(numberDocs.get(N3)!.dbName).toBe('numbers/+1212'),
  },
  {
    step: 5,
    title: 'N1 moved D -> C (owner C, previously D, H=[])',
    apply: () => putNumber({ ...numberDocs.get(N1)!.doc, pvt_assigned_to: C, pvt_previously_assigned_to: D, pvt_reserve_history: [], pvt_modified: t(5) }),
    written: [C, D],
    after: {
      [P]: accountDoc(P, 3, t(3), { [N2]: n2ActiveInC(true) }),
      [C]: accountDoc(C, 3, t(5), { [N1]: N1_MOVED_TO_C, [N2]: n2ActiveInC(false) }),
      [D]: accountDoc(D, 4, t(5), { [N3]: N3_OF_D }),
    },
    // Numbers are written in sorted order.
    check: () => expect(Object.keys(stored.get(C)!).slice(-2)).toEqual([N1, N2]),
  },
  {
    step: 6,
    title: 'used_by of N1 set to "callflow"',
    apply: () => putNumber({ ...numberDocs.get(N1)!.doc, pvt_used_by: 'callflow', pvt_modified: t(6) }),
    written: [C],
    after: {
      [P]: accountDoc(P, 3, t(3), { [N2]: n2ActiveInC(true) }),
      [C]: accountDoc(C, 4, t(6), { [N1]: N1_USED_IN_C, [N2]: n2ActiveInC(false) }),
      [D]: accountDoc(D, 4, t(5), { [N3]: N3_OF_D }),
    },
  },
  {
    step: 7,
    title: 'C releases N2 (reserved, owner P, H=[P])',
    apply: () => putNumber({ ...numberDocs.get(N2)!.doc, pvt_state: 'reserved', pvt_assigned_to: P, pvt_modified: t(7) }),
    written: [P, C],
    after: {
      [P]: accountDoc(P, 4, t(7), { [N2]: N2_BACK_TO_P }),
      [C]: accountDoc(C, 5, t(7), { [N1]: N1_USED_IN_C }),
      [D]: accountDoc(D, 4, t(5), { [N3]: N3_OF_D }),
    },
  },
  {
    step: 8,
    title: 'P releases N2 (available, no owner, H=[])',
    apply: () => putNumber({ ...numberDocs.get(N2)!.doc, pvt_state: 'available', pvt_assigned_to: '', pvt_reserve_history: [], pvt_modified: t(8) }),
    written: [P],
    after: {
      [P]: accountDoc(P, 5, t(8)),
      [C]: accountDoc(C, 5, t(7), { [N1]: N1_USED_IN_C }),
      [D]: accountDoc(D, 4, t(5), { [N3]: N3_OF_D }),
    },
  },
  {
    step: 9,
    title: 'N3 doc deleted',
    apply: () => putNumber({ _id: N3, _deleted: true }),
    written: [D],
    after: {
      [P]: accountDoc(P, 5, t(8)),
      [C]: accountDoc(C, 5, t(7), { [N1]: N1_USED_IN_C }),
      [D]: accountDoc(D, 5, t(9)),
    },
  },
];

describe('docs/rules.md worked example', () => {
  it('the table of docs/rules.md has the steps of this test, in order', () => {
    expect(TABLE.map((row) => [row.step, row.change])).toEqual(STEPS.map((s) => [s.step, s.title]));
  });

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

  it.each(STEPS)('step $step: $title', ({ step, apply, written, after, check }) => {
    apply();
    expect(sync(t(step))).toEqual(written);
    expectDocs(after);
    check?.();
    expect(listingsOf(stored)).toEqual(TABLE.find((row) => row.step === step)?.lists);
  });

  it('final: C lists only N1; P and D keep only the envelope', () => {
    expectDocs({
      [P]: accountDoc(P, 5, t(8)),
      [C]: accountDoc(C, 5, t(7), { [N1]: N1_USED_IN_C }),
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

describe('the demo data (src/demo/worked-example.ts) follows docs/rules.md', () => {
  it('has the steps of the table, in order', () => {
    expect(WORKED_EXAMPLE.map((s, i) => [i + 1, s.title])).toEqual(TABLE.map((row) => [row.step, row.change]));
  });

  it('its writes give the listings of the table after every step', () => {
    const docs = new Map<string, { dbName: string; doc: Doc }>();
    const apply = (write: DemoWrite): void => {
      const id = 'put' in write ? write.put._id : write.remove;
      docs.set(id, { dbName: numberDbName(id), doc: 'put' in write ? write.put : { _id: id, _deleted: true } });
    };
    for (const [i, step] of WORKED_EXAMPLE.entries()) {
      apply(step.write);
      const truth = expectedAccountDocs(docs.values());
      const listed = new Map(
        ACCOUNTS.map((account) => [
          account,
          Object.fromEntries([...(truth.get(account) ?? new Map())].map(([n, data]) => [n, { on_subaccount: account !== data.assigned_to }])),
        ]),
      );
      expect(listingsOf(listed), `step ${i + 1}`).toEqual(TABLE[i]!.lists);
    }
  });
});
