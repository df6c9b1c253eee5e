import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumber, freshPrefixes } from '../harness/ids.js';
import { encodedAccountDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';
import * as demo from '../../src/demo/worked-example.js';
import { type Listings, rulesTable } from '../fixtures/rules-table.js';

// docs/rules.md's worked example, performed as real writes while the daemon runs, one row of its
// table per step: the writes of the demo (src/demo/worked-example.ts) with fresh accounts and
// numbers in the same roles, so the exact listings hold on a shared server too.
const P = freshAccountId();
const C = freshAccountId();
const D = freshAccountId();
const [DB1, DB2] = freshPrefixes(2) as [string, string];
const N1 = freshNumber(DB1);
const N2 = freshNumber(DB1);
const N3 = freshNumber(DB2);
const T0 = 63871286400;

const NUMBER_NAMES: Record<string, string> = { [N1]: 'N1', [N2]: 'N2', [N3]: 'N3' };
const TABLE = rulesTable();

type Entries = Record<string, Record<string, unknown>>;

/** The demo's ids (src/demo/worked-example.ts) replaced by this run's fresh ones. */
const FRESH = new Map([
  [demo.P, P],
  [demo.C, C],
  [demo.D, D],
  [demo.N1, N1],
  [demo.N2, N2],
  [demo.N3, N3],
]);

function withFreshIds<T>(value: T): T {
  if (typeof value === 'string') return (FRESH.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map(withFreshIds) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withFreshIds(v)])) as T;
  return value;
}

function entry(
  state: string,
  owner: string | undefined,
  onSub: boolean,
  extra: Partial<{ features: string[]; used_by: string; created: number; updated: number }> = {},
) {
  return {
    state,
    features: extra.features ?? [],
    ...(owner ? { assigned_to: owner } : {}),
    on_subaccount: onSub,
    used_by: extra.used_by ?? '',
    created: extra.created ?? T0,
    updated: extra.updated ?? T0,
  };
}

describe('the worked example of docs/rules.md against the running daemon', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;

  /** The entries each row of the table leaves in the accounts its change touches. */
  const EXPECTED: Record<string, Entries | undefined>[] = [
    { [D]: { [N1]: entry('in_service', D, false) } },
    { [P]: { [N2]: entry('reserved', P, false) }, [D]: { [N1]: entry('in_service', D, false) } },
    // C lists N2; P lists N2 assigned to C, on_subaccount true.
    {
      [C]: { [N2]: entry('in_service', C, false, { updated: T0 + 10 }) },
      [P]: { [N2]: entry('in_service', C, true, { updated: T0 + 10 }) },
    },
    // D lists N3 with features ["local"].
    { [D]: { [N1]: entry('in_service', D, false), [N3]: entry('reserved', D, false, { features: ['local'] }) } },
    {
      [D]: { [N3]: entry('reserved', D, false, { features: ['local'] }) },
      [C]: { [N1]: entry('in_service', C, false, { updated: T0 + 20 }), [N2]: entry('in_service', C, false, { updated: T0 + 10 }) },
    },
    {
      [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }), [N2]: entry('in_service', C, false, { updated: T0 + 10 }) },
    },
    {
      [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) },
      [P]: { [N2]: entry('reserved', P, false, { updated: T0 + 40 }) },
    },
    { [P]: {}, [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) } },
    { [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) }, [P]: {}, [D]: {} },
  ];
  const STEPS = demo.WORKED_EXAMPLE.map((demo, i) => ({ step: i + 1, change: demo.title, write: withFreshIds(demo.write), expected: EXPECTED[i]! }));

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [P, C, D], numbersDbs: [`numbers/${DB1}`, `numbers/${DB2}`] }));
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('worked')));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  /** What P, C and D list now, in the notation of the table. */
  async function listingsOf(accounts: [string, string, string]): Promise<Listings> {
    const [p, c, d] = await Promise.all(
      accounts.map(async (account) => {
        const doc = (await fx.accountDoc(account)) ?? {};
        return Object.keys(doc)
          .filter((k) => !k.startsWith('_') && !k.startsWith('pvt_'))
          .map((n) => `${NUMBER_NAMES[n] ?? n}${(doc[n] as Record<string, unknown>).on_subaccount === true ? '*' : ''}`)
          .sort();
      }),
    );
    return { P: p!, C: c!, D: d! };
  }

  async function expectAccounts(expected: Record<string, Entries | undefined>): Promise<void> {
    await waitFor(
      async () => {
        for (const [account, entries] of Object.entries(expected)) {
          const doc = await fx.accountDoc(account);
          const listed = Object.fromEntries(Object.entries(doc ?? {}).filter(([k]) => !k.startsWith('_') && !k.startsWith('pvt_')));
          if (JSON.stringify(sortKeys(listed)) !== JSON.stringify(sortKeys(entries ?? {}))) return false;
          if (entries && doc) {
            expect(doc).toMatchObject({
              _id: 'phone_numbers',
              pvt_type: 'phone_numbers',
              pvt_vsn: '1',
              pvt_account_db: encodedAccountDbName(account),
              pvt_account_id: account,
            });
            expect(typeof doc.pvt_created).toBe('number');
            expect(typeof doc.pvt_modified).toBe('number');
          }
        }
        return true;
      },
      { what: `account docs ${JSON.stringify(expected)}`, timeoutMs: 20_000 },
    );
  }

  it('has the steps of the table of docs/rules.md, in order', () => {
    expect(STEPS.map((s) => [s.step, s.change])).toEqual(TABLE.map((row) => [row.step, row.change]));
  });

  it.each(STEPS)('step $step: $change', async ({ step, write, expected }) => {
    await ('put' in write ? fx.putNumber(write.put) : fx.removeNumber(write.remove));
    await expectAccounts(expected);
    expect(await listingsOf([P, C, D])).toEqual(TABLE.find((row) => row.step === step)?.lists);
  });

  it('final state: P and D keep only the envelope, no drift', async () => {
    for (const account of [P, D]) {
      const doc = await fx.accountDoc(account);
      expect(Object.keys(doc ?? {}).filter((k) => !k.startsWith('_') && !k.startsWith('pvt_'))).toEqual([]);
      expect(doc?.pvt_account_id).toBe(account);
    }
    expect(await fx.drift([P, C, D])).toEqual([]);
  });
});

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
