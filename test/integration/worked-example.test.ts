import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumber, freshPrefixes } from '../harness/ids.js';
import { encodedAccountDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

// docs/rules.md's worked example, performed as real writes while the daemon runs. Its accounts
// and numbers are fresh ids (same roles), so the exact listings hold on a shared server too.
const P = freshAccountId();
const C = freshAccountId();
const D = freshAccountId();
const [DB1, DB2] = freshPrefixes(2) as [string, string];
const N1 = freshNumber(DB1);
const N2 = freshNumber(DB1);
const N3 = freshNumber(DB2);
const T0 = 63871286400;

type Entries = Record<string, Record<string, unknown>>;

function entry(state: string, owner: string | undefined, onSub: boolean, extra: Partial<{ features: string[]; used_by: string; created: number; updated: number }> = {}) {
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

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [P, C, D], numbersDbs: [`numbers/${DB1}`, `numbers/${DB2}`] }));
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('worked')));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

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

  it('1. D buys N1 -> D lists N1', async () => {
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: D, pvt_reserve_history: [], pvt_created: T0, pvt_modified: T0 });
    await expectAccounts({ [D]: { [N1]: entry('in_service', D, false) } });
  });

  it('2. P reserves N2 -> P lists N2 (on_subaccount false)', async () => {
    await fx.putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: P, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 });
    await expectAccounts({ [P]: { [N2]: entry('reserved', P, false) }, [D]: { [N1]: entry('in_service', D, false) } });
  });

  it('3. C activates N2 -> C lists N2; P lists N2 assigned to C, on_subaccount true', async () => {
    await fx.putNumber({ _id: N2, pvt_state: 'in_service', pvt_assigned_to: C, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 + 10 });
    await expectAccounts({
      [C]: { [N2]: entry('in_service', C, false, { updated: T0 + 10 }) },
      [P]: { [N2]: entry('in_service', C, true, { updated: T0 + 10 }) },
    });
  });

  it('4. N3 created for D -> D lists N3 with features ["local"]', async () => {
    await fx.putNumber({ _id: N3, pvt_state: 'reserved', pvt_assigned_to: D, pvt_reserve_history: [D], pvt_module_name: 'wnm_local', pvt_created: T0, pvt_modified: T0 });
    await expectAccounts({
      [D]: { [N1]: entry('in_service', D, false), [N3]: entry('reserved', D, false, { features: ['local'] }) },
    });
  });

  it('5. N1 moved D -> C -> N1 leaves D, C lists N1', async () => {
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: C, pvt_previously_assigned_to: D, pvt_reserve_history: [], pvt_created: T0, pvt_modified: T0 + 20 });
    await expectAccounts({
      [D]: { [N3]: entry('reserved', D, false, { features: ['local'] }) },
      [C]: { [N1]: entry('in_service', C, false, { updated: T0 + 20 }), [N2]: entry('in_service', C, false, { updated: T0 + 10 }) },
    });
  });

  it('6. used_by of N1 set to "callflow"', async () => {
    await fx.putNumber({ _id: N1, pvt_state: 'in_service', pvt_assigned_to: C, pvt_previously_assigned_to: D, pvt_reserve_history: [], pvt_used_by: 'callflow', pvt_created: T0, pvt_modified: T0 + 30 });
    await expectAccounts({
      [C]: {
        [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }),
        [N2]: entry('in_service', C, false, { updated: T0 + 10 }),
      },
    });
  });

  it('7. C releases N2 -> N2 leaves C; P lists N2 (false)', async () => {
    await fx.putNumber({ _id: N2, pvt_state: 'reserved', pvt_assigned_to: P, pvt_reserve_history: [P], pvt_created: T0, pvt_modified: T0 + 40 });
    await expectAccounts({
      [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) },
      [P]: { [N2]: entry('reserved', P, false, { updated: T0 + 40 }) },
    });
  });

  it('8. P releases N2 -> N2 listed nowhere', async () => {
    await fx.putNumber({ _id: N2, pvt_state: 'available', pvt_reserve_history: [], pvt_created: T0, pvt_modified: T0 + 50 });
    await expectAccounts({ [P]: {}, [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) } });
  });

  it('9. N3 deleted -> N3 listed nowhere; final state', async () => {
    await fx.removeNumber(N3);
    await expectAccounts({
      [C]: { [N1]: entry('in_service', C, false, { used_by: 'callflow', updated: T0 + 30 }) },
      [P]: {},
      [D]: {},
    });
    // P and D keep only the envelope.
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
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
