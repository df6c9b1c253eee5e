import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { runCli } from '../harness/cli.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';
import type { NumberExplanation } from '../../src/explain/explain-number.js';

// `numbers-sync explain` as a real child process against a running daemon (in-process).
const OWNER = freshAccountId();
const PARENT = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const [RESERVED, EDITED, RELEASED, BAD] = freshNumbers(P, 4) as [string, string, string, string];

describe('numbers-sync explain', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;
  let env: Record<string, string>;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [OWNER, PARENT], numbersDbs: [`numbers/${P}`] }));
    const prefix = uniquePrefix('explain');
    env = { COUCHDB_URL: couch.url, REDIS_URL: redisUrl(), NUMBERS_SYNC_PREFIX: prefix };
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix));
    // Reserved by the parent for its sub-account, which now has it in service.
    await fx.putNumber({
      _id: RESERVED,
      pvt_state: 'in_service',
      pvt_assigned_to: OWNER,
      pvt_reserve_history: [PARENT, OWNER],
      pvt_module_name: 'knm_local',
      pvt_used_by: 'callflow',
      pvt_modified: 63900000000,
    });
    await fx.putNumber({ _id: EDITED, pvt_state: 'in_service', pvt_assigned_to: OWNER });
    await fx.putNumber({ _id: RELEASED, pvt_state: 'available', pvt_assigned_to: OWNER });
    await fx.putNumber({ _id: BAD, pvt_state: 'in_service', pvt_assigned_to: 'NOT-AN-ACCOUNT' });
    await waitFor(async () => (await fx.listed(OWNER)).join() === [RESERVED, EDITED].sort().join() && (await fx.listed(PARENT)).join() === RESERVED, {
      what: 'initial sync',
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  it('a number listed by its owner and by a reserving parent: both rules, the index and both docs agree (exit 0)', async () => {
    const { code, stdout, stderr } = await runCli(['explain', RESERVED], env);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(`number     ${RESERVED} in numbers/${P}`);
    expect(stdout).toContain(`doc        state in_service  owner ${OWNER}  module knm_local  used_by callflow`);
    expect(stdout).toContain(`reserve history [${PARENT}, ${OWNER}]  features [local]  modified 2024-11-28T08:00:00.000Z`);
    expect(stdout).toContain(`must list  ${OWNER}  by the owner rule`);
    expect(stdout).toContain(`           ${PARENT}  by the reserve history rule`);
    expect(stdout).toContain(`note       owner ${OWNER} is also in the reserve history: it lists it only by the owner rule`);
    expect(stdout).toMatch(/index {6}ready; lists it for \[.*\] from numbers\/\+\d{4}, entry state in_service; agrees with the doc/);
    expect(stdout).toMatch(new RegExp(`  ${OWNER}  owner +index lists  entry ok  last rebuild \\d{4}-\\d\\d-\\d\\dT`));
    expect(stdout).toMatch(new RegExp(`  ${PARENT}  reserve history  index lists  entry ok  last rebuild \\d{4}-`));
    expect(stdout).toContain('consistent: the index and every account doc agree with the number doc');

    const json = await runCli(['explain', RESERVED, '--json'], env);
    expect(json.code, json.stderr).toBe(0);
    const e = JSON.parse(json.stdout) as NumberExplanation;
    expect(e.mustList).toEqual([
      { accountId: OWNER, rule: 'owner' },
      { accountId: PARENT, rule: 'reserve_history' },
    ]);
    expect(e.index).toMatchObject({
      ready: true,
      agrees: true,
      value: { db: `numbers/${P}`, accounts: [OWNER, PARENT].sort(), entry: { state: 'in_service', assigned_to: OWNER } },
    });
    const parent = e.accounts.find((a) => a.accountId === PARENT);
    expect(parent).toMatchObject({
      mustList: true,
      rule: 'reserve_history',
      indexLists: true,
      entry: 'ok',
      expected: { on_subaccount: true, assigned_to: OWNER },
    });
    expect(e.accounts.find((a) => a.accountId === OWNER)).toMatchObject({ rule: 'owner', entry: 'ok', expected: { on_subaccount: false } });
  });

  it('an account doc edited behind the daemon: the differing fields and an extra entry, exit 1', async () => {
    const doc = (await fx.accountDoc(OWNER))!;
    (doc[EDITED] as Record<string, unknown>).state = 'reserved';
    doc[RELEASED] = { state: 'in_service', features: [], assigned_to: OWNER, on_subaccount: false, used_by: '', created: 0, updated: 0 };
    await fx.couch.putDoc(accountDbName(OWNER), { ...doc, _id: PHONE_NUMBERS_DOC_ID });

    const edited = await runCli(['explain', EDITED], env);
    expect(edited.code, edited.stderr).toBe(1);
    expect(edited.stdout).toMatch(new RegExp(`  ${OWNER}  owner +index lists  entry DIFFERS  last rebuild`));
    expect(edited.stdout).toContain('      state: expected "in_service", actual "reserved"');
    expect(edited.stdout).toContain('INCONSISTENT');
    expect(edited.stdout).toContain(
      `hint       a rebuild may be queued (numbers-sync status), or the doc was edited behind the daemon's back: numbers-sync rebuild ${OWNER}`,
    );

    const released = await runCli(['explain', RELEASED, '--json'], env);
    expect(released.code, released.stderr).toBe(1);
    const e = JSON.parse(released.stdout) as NumberExplanation;
    expect(e.mustList).toEqual([]);
    expect(e.notes).toEqual([`owner ${OWNER} does not list it: state available is not one of reserved, in_service, port_in, port_out`]);
    expect(e.index).toMatchObject({ agrees: true, differences: [] });
    expect(e.index.value).toBeUndefined();
    expect(e.accounts).toEqual([
      expect.objectContaining({
        accountId: OWNER,
        mustList: false,
        indexLists: false,
        entry: 'extra',
        actual: expect.objectContaining({ state: 'in_service' }),
      }),
    ]);
  });

  it('an invalid number doc is listed nowhere and says why; a number without a doc; exit 0', async () => {
    const bad = await runCli(['explain', BAD, '--json'], env);
    expect(bad.code, bad.stderr).toBe(0);
    const e = JSON.parse(bad.stdout) as NumberExplanation;
    expect(e.doc).toMatchObject({ status: 'invalid', reason: 'bad_owner' });
    expect(e.mustList).toEqual([]);
    expect(e.consistent).toBe(true);

    const none = await runCli(['explain', `${P}9999999`], env);
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toMatch(/doc {8}MISSING: no doc \+\d+ in numbers\/\+\d{4} \(never written, or deleted\)/);
    expect(none.stdout).toContain('must list  nobody');
  });

  it('rejects input that is not an E.164 number with exit 2', async () => {
    for (const input of ['14155550100', '+1415', 'account/../_users']) {
      const { code, stderr, stdout } = await runCli(['explain', input], env);
      expect(code, input).toBe(2);
      expect(stderr).toContain('not an E.164 number');
      expect(stdout).toBe('');
    }
  });
});
