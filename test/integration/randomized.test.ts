import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouch, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { Random } from '../harness/random.js';
import { waitFor } from '../harness/wait.js';
import { freshAccountId, freshNumbers, freshPrefixes } from '../harness/ids.js';
import { numberDbName } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';

const SEED = Number(process.env.RANDOMIZED_SEED ?? 20261123);
const OPERATIONS = Number(process.env.RANDOMIZED_OPS ?? 2000);
// Fresh databases, accounts and numbers (a shared server keeps earlier runs'); the seed drives the operations.
const PREFIXES = freshPrefixes(6);
const WNM_PREFIX = PREFIXES[1]!;
const NUMBERS_PER_DB = 25;
const ACCOUNTS = 36;
const LATE_ACCOUNTS = 6;

interface NumberModel {
  state: string;
  owner?: string;
  history: string[];
  usedBy?: string;
  exists: boolean;
}

describe(`randomized operations (seed ${SEED}, ${OPERATIONS} ops)`, () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let daemon: Daemon;
  const rnd = new Random(SEED);
  const accounts = Array.from({ length: ACCOUNTS }, () => freshAccountId());
  const numbers = PREFIXES.flatMap((p) => freshNumbers(p, NUMBERS_PER_DB));
  const models = new Map<string, NumberModel>(numbers.map((n) => [n, { state: 'available', history: [], exists: false }]));
  const lateAccounts = new Set(accounts.slice(0, LATE_ACCOUNTS));

  beforeAll(async () => {
    couch = await privateCouch();
    fx = new CouchFixture(couch.url);
    for (const a of accounts) if (!lateAccounts.has(a)) await fx.createAccountDb(a);
    for (const p of PREFIXES) await fx.createDb(`numbers/${p}`);
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), uniquePrefix('rand')));
  });

  afterAll(async () => {
    await daemon?.stop();
    await fx?.removeCreated();
    await couch?.stop();
  });

  function docOf(number: string, m: NumberModel, version: number): Record<string, unknown> & { _id: string } {
    return {
      _id: number,
      pvt_state: m.state,
      ...(m.owner ? { pvt_assigned_to: m.owner } : {}),
      pvt_reserve_history: m.history,
      ...(m.usedBy !== undefined ? { pvt_used_by: m.usedBy } : {}),
      pvt_features: rnd.chance(0.3) ? { dash_e911: {}, cnam: {} } : [],
      ...(number.startsWith(WNM_PREFIX) ? { pvt_module_name: 'wnm_local' } : {}),
      pvt_created: 63871286400,
      pvt_modified: 63871286400 + version,
    };
  }

  async function operate(version: number): Promise<string> {
    const roll = rnd.next();
    if (roll < 0.005) {
      // Delete a whole numbers database, then re-create it empty.
      const prefix = rnd.pick(PREFIXES);
      await fx.deleteDb(`numbers/${prefix}`);
      for (const n of numbers) if (n.startsWith(prefix)) models.set(n, { state: 'available', history: [], exists: false });
      await fx.createDb(`numbers/${prefix}`);
      return 'delete-db';
    }
    if (roll < 0.01 && [...lateAccounts].length > 0) {
      const account = [...lateAccounts][0]!;
      lateAccounts.delete(account);
      await fx.createAccountDb(account);
      return 'create-account-db';
    }
    const number = rnd.pick(numbers);
    const m = models.get(number)!;
    const op = rnd.pick(['reserve', 'activate', 'move', 'release', 'used_by', 'delete', 'odd_state'] as const);
    switch (op) {
      case 'reserve': {
        const owner = rnd.pick(accounts);
        Object.assign(m, { state: 'reserved', owner, history: rnd.chance(0.5) ? [owner] : [owner, rnd.pick(accounts)] });
        break;
      }
      case 'activate':
        Object.assign(m, { state: 'in_service', owner: m.owner ?? rnd.pick(accounts) });
        break;
      case 'move':
        Object.assign(m, { state: rnd.pick(['in_service', 'port_in']), owner: rnd.pick(accounts), history: rnd.chance(0.3) ? m.history : [] });
        break;
      case 'release':
        Object.assign(m, { state: rnd.pick(['available', 'released']), owner: undefined, history: [] });
        break;
      case 'used_by':
        m.usedBy = rnd.pick(['callflow', 'trunkstore', '', 'undefined']);
        break;
      case 'odd_state':
        Object.assign(m, { state: rnd.pick(['discovery', 'port_out', 'disconnected', 'deleted']) });
        break;
      case 'delete':
        if (m.exists) await fx.removeNumber(number);
        m.exists = false;
        return op;
    }
    await fx.putNumber(docOf(number, m, version));
    m.exists = true;
    return op;
  }

  it('ends with every account doc equal to what the spec computes from the final number docs', async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < OPERATIONS; i++) {
      const op = await operate(i);
      counts.set(op, (counts.get(op) ?? 0) + 1);
    }
    for (const account of lateAccounts) await fx.createAccountDb(account);
    expect(new Set(numbers.map(numberDbName)).size).toBeGreaterThanOrEqual(5);
    const drift = await waitFor(
      async () => {
        const d = await fx.drift(accounts);
        return d.length === 0 ? d : false;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'zero drift' },
    );
    expect(drift).toEqual([]);
    // Every operation kind was exercised.
    for (const op of ['reserve', 'activate', 'move', 'release', 'used_by', 'delete', 'odd_state', 'delete-db', 'create-account-db']) {
      expect(counts.get(op) ?? 0, op).toBeGreaterThan(0);
    }
    // 2000 sequential writes take most of a minute on a loaded machine, before the 60 s drift wait.
  }, 180_000);
});
