import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { CouchError } from '../../src/couch/couch-error.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { accountDbName, isNumberKey, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';
import { NumberLoad } from './number-load.js';
import { waitForConvergence } from './converged.js';

const SOAK = process.env.SOAK === '1';

/**
 * Stands in for the KAZOO API: rewrites phone_numbers docs, adding `locality` to entries and
 * keys of its own (`pvt_*`), with the doc's _rev. Its writes make the daemon's writes 409.
 */
class ForeignWriter {
  passes = 0;
  writes = 0;
  conflicts = 0;

  constructor(private readonly fx: CouchFixture) {}

  /** One read-modify-write of an account doc; false on a 409 (someone wrote in between). */
  async rewrite(accountId: string): Promise<boolean> {
    const doc = await this.fx.accountDoc(accountId);
    if (!doc) return true;
    this.passes++;
    for (const [key, entry] of Object.entries(doc)) {
      if (isNumberKey(key) && entry && typeof entry === 'object') (entry as Record<string, unknown>).locality = localityOf(accountId, key);
    }
    doc.pvt_billing_plan = { account: accountId, pass: this.passes };
    doc.pvt_api_note = `written by the API, pass ${this.passes}`;
    try {
      await this.fx.couch.putDoc(accountDbName(accountId), { ...doc, _id: PHONE_NUMBERS_DOC_ID });
      this.writes++;
      return true;
    } catch (err) {
      if (!(err instanceof CouchError && err.kind === 'conflict')) throw err;
      this.conflicts++;
      return false;
    }
  }

  /** Rewrites until it succeeds; returns the foreign keys it left. */
  async rewriteSurely(accountId: string): Promise<Record<string, unknown>> {
    while (!(await this.rewrite(accountId)));
    const doc = (await this.fx.accountDoc(accountId))!;
    return { pvt_billing_plan: doc.pvt_billing_plan, pvt_api_note: doc.pvt_api_note };
  }
}

function localityOf(accountId: string, number: string): Record<string, unknown> {
  return { country: 'US', city: `city-${accountId.slice(0, 4)}`, number };
}

describe('a concurrent writer on the account docs', () => {
  let couch: DiskCouch;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    couch = await DiskCouch.start('concurrent');
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.close();
  });

  it('the daemon converges through 409s, keeps locality and foreign pvt_ keys, never loses its own entries', async () => {
    const load = new NumberLoad({ couchUrl: couch.url, seed: 5505, prefixes: ['+1415', '+1212'], numbersPerDb: SOAK ? 300 : 60, accounts: 6 });
    await load.setup();
    const fx = new CouchFixture(couch.url);
    const writer = new ForeignWriter(fx);
    // The first rebuilds meet a write made between their read and their write: a certain 409.
    let forced = 10;
    const beforeWrite = async (accountId: string) => {
      if (forced-- > 0) await writer.rewrite(accountId);
    };
    const prefix = uniquePrefix('concurrent');
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { batchSize: 50 }), { hooks: { beforeWrite } });

    // Phase 1: number churn, each step racing a writer pass over every account doc.
    const pass = async () => {
      for (const account of load.accounts) await writer.rewrite(account);
    };
    for (let i = 0; i < (SOAK ? 200 : 40); i++) await Promise.all([load.step(25), pass()]);
    // Phase 2: every entry changes (no listing does) while the writer still runs.
    await Promise.all([load.touchAll(), pass(), pass()]);

    // Last foreign pass, then the daemon rewrites every doc once more on top of it.
    await waitForConvergence(fx, load, redisUrl(), prefix);
    forced = 0;
    const foreign = new Map<string, Record<string, unknown>>();
    for (const account of load.accounts) foreign.set(account, await writer.rewriteSurely(account));
    await load.touchAll();
    await waitForConvergence(fx, load, redisUrl(), prefix);

    for (const account of load.accounts) {
      const doc = (await fx.accountDoc(account)) ?? {};
      expect(doc, account).toMatchObject(foreign.get(account) ?? {});
      for (const [key, entry] of Object.entries(doc)) {
        if (isNumberKey(key)) expect((entry as Record<string, unknown>).locality, `${account} ${key}`).toEqual(localityOf(account, key));
      }
    }
    expect(writer.writes).toBeGreaterThan(0);
    expect((await daemon.metrics.conflictRetries.get()).values[0]?.value ?? 0).toBeGreaterThan(0);
  }, 120_000);
});
