// Number docs shaped like KAZOO's own fixture data (core/kazoo_fixturedb: account ids such as
// `account0000000000000000000000002`, knm_*/wnm_* modules, pvt_features as object or list,
// used_by vs pvt_used_by, a reserve history of two accounts) synced by a running daemon against
// the real server and Redis. The account docs must follow docs/rules.md exactly: each expected
// entry is written out below, then also checked against the pure rules and the audit.
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, encodedAccountDbName, entryFor, expectedAccountDocs, isNumberKey, jsonEqual, numberDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz';
const pick = (alphabet: string, n: number): string => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');

// Ids no other test (nor another run on a shared server) uses, in KAZOO's fixture style:
// 'account' + 6 random [0-9a-z] + zeros + a digit = 32 characters, mostly not hex.
const RUN = pick(ALNUM, 6);
const kazooAccount = (n: number): string => `account${RUN}${String(n).padStart(19, '0')}`;
const R = kazooAccount(1); // reseller
const S1 = kazooAccount(2); // sub-account
const S2 = kazooAccount(3); // sub-account
const ACCOUNTS = [R, S1, S2];

// Numbers in databases KAZOO's fixtures use; 5 random digits per run, then a serial digit.
const DIGITS = pick('0123456789', 5);
const num = (db: string, n: number): string => `+${db}${DIGITS}${n}`;
const F1 = num('1425', 1);
const F2 = num('1425', 2);
const F3 = num('1201', 1);
const F4 = num('1201', 2);
const F5 = num('1555', 1);
const F6 = num('1555', 2);
const F7 = num('1555', 3);
const F8 = num('1937', 1);
const F9 = num('1937', 2);
const F10 = num('1412', 1);
const F11 = num('1412', 2);
const NUMBERS = [F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11];
const NUMBERS_DBS = [...new Set(NUMBERS.map(numberDbName))];

const CREATED = 63565935000;
const MODIFIED = 63565935527;

type Doc = Record<string, unknown> & { _id: string };

/** The fields every KAZOO number doc carries besides the ones the rules read. */
function kazooDoc(id: string, fields: Record<string, unknown>): Doc {
  return {
    _id: id,
    pvt_db_name: encodeURIComponent(numberDbName(id)),
    pvt_type: 'number',
    pvt_ported_in: false,
    pvt_created: CREATED,
    pvt_modified: MODIFIED,
    ...fields,
  };
}

const INITIAL: Doc[] = [
  // knm_local with pvt_features as an object that already names "local": not doubled.
  kazooDoc(F1, { pvt_state: 'port_in', pvt_assigned_to: S1, pvt_reserve_history: [S1], pvt_module_name: 'knm_local', pvt_features: { local: {} } }),
  // wnm_local with pvt_features as a list: "local" appended; legacy top-level used_by.
  kazooDoc(F2, {
    pvt_state: 'in_service',
    pvt_assigned_to: S1,
    pvt_reserve_history: [R, S1],
    pvt_module_name: 'wnm_local',
    pvt_features: ['outbound_cnam', 'inbound_cnam'],
    used_by: 'callflow',
  }),
  // Reserved by the reseller, then S1, activated by S2: a history of two accounts.
  // pvt_used_by wins over used_by; pvt_features object -> its keys, in order.
  kazooDoc(F3, {
    pvt_state: 'in_service',
    pvt_assigned_to: S2,
    pvt_reserve_history: [R, S1],
    pvt_module_name: 'knm_bandwidth2',
    pvt_features: { e911: { street_address: '140 Main St' }, outbound_cnam: { display_name: 'ACME' } },
    e911: { street_address: '140 Main St' },
    cnam: { display_name: 'ACME' },
    pvt_used_by: 'trunkstore',
    used_by: 'callflow',
  }),
  // discovery: listed nowhere, not even by the history.
  kazooDoc(F4, { pvt_state: 'discovery', pvt_assigned_to: S1, pvt_reserve_history: [R], pvt_module_name: 'knm_other' }),
  // released: the owner does not list it, the history account does (assigned to S2).
  kazooDoc(F5, { pvt_state: 'released', pvt_assigned_to: S2, pvt_reserve_history: [R], pvt_module_name: 'knm_other' }),
  // available, unassigned, KAZOO's literal "undefined" used_by.
  kazooDoc(F6, { pvt_state: 'available', pvt_assigned_to: '', pvt_reserve_history: [], pvt_module_name: 'knm_local', used_by: 'undefined' }),
  // Old whistle_number_manager doc: pvt_number_state, no pvt_features, used_by "undefined".
  kazooDoc(F7, { pvt_number_state: 'reserved', pvt_assigned_to: R, pvt_reserve_history: [R], pvt_module_name: 'wnm_other', used_by: 'undefined' }),
  // port_out, list with duplicates that already holds "local", knm_local.
  kazooDoc(F8, {
    pvt_state: 'port_out',
    pvt_assigned_to: S2,
    pvt_reserve_history: [],
    pvt_module_name: 'knm_local',
    pvt_features: ['failover', 'local', 'failover'],
  }),
  // Soft-deleted: listed nowhere.
  kazooDoc(F9, { pvt_state: 'in_service', pvt_assigned_to: S1, pvt_deleted: true, pvt_module_name: 'knm_local' }),
  // Owner in uppercase: not an account id, so the doc is invalid and listed nowhere.
  kazooDoc(F10, { pvt_state: 'in_service', pvt_assigned_to: S1.toUpperCase(), pvt_reserve_history: [R], pvt_module_name: 'knm_local' }),
  // History items that are not account ids (punctuation, uppercase) are ignored.
  kazooDoc(F11, {
    pvt_state: 'reserved',
    pvt_assigned_to: R,
    pvt_reserve_history: [R, `account-${S2.slice(8)}`, S1.toUpperCase()],
    pvt_module_name: 'knm_vitelity',
  }),
];

type Entries = Record<string, Record<string, unknown>>;

function entry(state: string, owner: string | undefined, onSub: boolean, features: string[] = [], usedBy = '', updated = MODIFIED) {
  return {
    state,
    features,
    ...(owner ? { assigned_to: owner } : {}),
    on_subaccount: onSub,
    used_by: usedBy,
    created: CREATED,
    updated,
  };
}

const F2_FEATURES = ['outbound_cnam', 'inbound_cnam', 'local'];
const F3_FEATURES = ['e911', 'outbound_cnam'];

const EXPECTED_INITIAL: Record<string, Entries> = {
  [R]: {
    [F2]: entry('in_service', S1, true, F2_FEATURES, 'callflow'),
    [F3]: entry('in_service', S2, true, F3_FEATURES, 'trunkstore'),
    [F5]: entry('released', S2, true),
    [F7]: entry('reserved', R, false),
    [F11]: entry('reserved', R, false),
  },
  [S1]: {
    [F1]: entry('port_in', S1, false, ['local']),
    [F2]: entry('in_service', S1, false, F2_FEATURES, 'callflow'),
    [F3]: entry('in_service', S2, true, F3_FEATURES, 'trunkstore'),
  },
  [S2]: {
    [F3]: entry('in_service', S2, false, F3_FEATURES, 'trunkstore'),
    [F8]: entry('port_out', S2, false, ['failover', 'local']),
  },
};

const LATER = MODIFIED + 600;

/** Second round: transitions between states, a move, a real deletion. */
const CHANGES: Array<{ put: Doc } | { remove: string }> = [
  // discovery -> in_service: now listed by its owner and its history.
  { put: kazooDoc(F4, { pvt_state: 'in_service', pvt_assigned_to: S1, pvt_reserve_history: [R], pvt_module_name: 'knm_other', pvt_modified: LATER }) },
  // Moved S1 -> S2: S1 keeps it only because it is in the history.
  {
    put: kazooDoc(F2, {
      pvt_state: 'in_service',
      pvt_assigned_to: S2,
      pvt_previously_assigned_to: S1,
      pvt_reserve_history: [R, S1],
      pvt_module_name: 'wnm_local',
      pvt_features: ['outbound_cnam', 'inbound_cnam'],
      used_by: 'callflow',
      pvt_modified: LATER,
    }),
  },
  // Released by its owner, who is also its only history entry: listed nowhere.
  {
    put: kazooDoc(F1, {
      pvt_state: 'released',
      pvt_assigned_to: S1,
      pvt_reserve_history: [S1],
      pvt_module_name: 'knm_local',
      pvt_features: { local: {} },
      pvt_modified: LATER,
    }),
  },
  { remove: F5 },
];

const EXPECTED_LATER: Record<string, Entries> = {
  [R]: {
    [F2]: entry('in_service', S2, true, F2_FEATURES, 'callflow', LATER),
    [F3]: entry('in_service', S2, true, F3_FEATURES, 'trunkstore'),
    [F4]: entry('in_service', S1, true, [], '', LATER),
    [F7]: entry('reserved', R, false),
    [F11]: entry('reserved', R, false),
  },
  [S1]: {
    [F2]: entry('in_service', S2, true, F2_FEATURES, 'callflow', LATER),
    [F3]: entry('in_service', S2, true, F3_FEATURES, 'trunkstore'),
    [F4]: entry('in_service', S1, false, [], '', LATER),
  },
  [S2]: {
    [F2]: entry('in_service', S2, false, F2_FEATURES, 'callflow', LATER),
    [F3]: entry('in_service', S2, false, F3_FEATURES, 'trunkstore'),
    [F8]: entry('port_out', S2, false, ['failover', 'local']),
  },
};

/** What the pure rules say the accounts list, from the docs as written. */
function pureTruth(docs: Iterable<Doc>): Record<string, Entries> {
  const truth = expectedAccountDocs([...docs].map((doc) => ({ dbName: numberDbName(doc._id), doc })));
  const out: Record<string, Entries> = {};
  for (const [account, numbers] of truth) {
    out[account] = Object.fromEntries([...numbers].map(([n, data]) => [n, { ...entryFor(data, account) }]));
  }
  return out;
}

describe("KAZOO's fixture-shaped number docs against the running daemon", () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: ACCOUNTS, numbersDbs: NUMBERS_DBS }));
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('kazoo-fixtures')));
  });

  afterAll(async () => {
    await daemon?.stop();
    // On a shared server, leave nothing behind: the numbers databases may be other tests' too.
    if (fx && inject('externalCouch')) {
      for (const n of NUMBERS) await fx.removeNumber(n).catch(() => undefined);
      for (const account of ACCOUNTS) await fx.deleteDb(accountDbName(account)).catch(() => undefined);
    }
    await couch?.stop();
  });

  async function expectAccounts(expected: Record<string, Entries>): Promise<void> {
    await waitFor(
      async () => {
        for (const account of ACCOUNTS) {
          const doc = await fx.accountDoc(account);
          const listed = Object.fromEntries(Object.entries(doc ?? {}).filter(([k]) => isNumberKey(k)));
          if (!jsonEqual(listed, expected[account] ?? {})) return false;
        }
        return true;
      },
      { what: `account docs ${JSON.stringify(expected)}`, timeoutMs: 30_000 },
    );
  }

  it('the expected listings written out here are what the pure rules compute', () => {
    expect(pureTruth(INITIAL)).toStrictEqual(EXPECTED_INITIAL);
    const later = new Map(INITIAL.map((d) => [d._id, d]));
    for (const change of CHANGES) {
      if ('remove' in change) later.delete(change.remove);
      else later.set(change.put._id, change.put);
    }
    expect(pureTruth(later.values())).toStrictEqual(EXPECTED_LATER);
  });

  it('lists the fixture numbers by the rules, with KAZOO-style account ids', async () => {
    for (const doc of INITIAL) await fx.putNumber(doc);
    await expectAccounts(EXPECTED_INITIAL);

    // Envelope: the account database name of a KAZOO-style id, split 2/2/28.
    const doc = await fx.accountDoc(R);
    expect(doc).toMatchObject({
      _id: 'phone_numbers',
      pvt_type: 'phone_numbers',
      pvt_vsn: '1',
      pvt_account_id: R,
      pvt_account_db: `account%2Fac%2Fco%2Funt${RUN}${'0'.repeat(18)}1`,
    });
    expect(doc?.pvt_account_db).toBe(encodedAccountDbName(R));
    // Entry key order is the rules' order.
    expect(Object.keys(doc![F2] as object)).toEqual(['state', 'features', 'assigned_to', 'on_subaccount', 'used_by', 'created', 'updated']);
    expect(await fx.drift(ACCOUNTS)).toEqual([]);
  });

  it('follows state changes, a move, a release and a deletion', async () => {
    for (const change of CHANGES) {
      if ('remove' in change) await fx.removeNumber(change.remove);
      else await fx.putNumber(change.put);
    }
    await expectAccounts(EXPECTED_LATER);
    expect(await fx.drift(ACCOUNTS)).toEqual([]);
  });
});
