import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { LogCapture } from '../harness/log-capture.js';
import { CouchFixture } from '../harness/numbers.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { waitFor } from '../harness/wait.js';
import { accountDbName, isNumberKey } from '../../src/rules/index.js';
import type { Daemon } from '../../src/daemon.js';
import { BAD_NUMBER_DOCS, DECOY, DECOY_DBS, DECOY_LOWER, GOOD_NUMBER_DOCS, IGNORED_DB_DOCS, V1, V2 } from '../fixtures/bad-number-docs.js';

function countsOf(reasons: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reason of reasons) counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

interface DbState {
  updateSeq: unknown;
  docCount: number;
}

describe(`bad input corpus (${BAD_NUMBER_DOCS.length} cases)`, () => {
  let couch: DiskCouch;
  let daemon: Daemon | undefined;
  let fx: CouchFixture;

  beforeAll(async () => {
    couch = await DiskCouch.start('bad-input');
    fx = new CouchFixture(couch.url);
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.close();
  });

  async function snapshot(): Promise<Map<string, DbState>> {
    const out = new Map<string, DbState>();
    for (const db of await fx.couch.request<string[]>({ path: '_all_dbs' })) {
      const info = await fx.couch.request<{ update_seq: unknown; doc_count: number }>({ db, path: '' });
      out.set(db, { updateSeq: info.update_seq, docCount: info.doc_count });
    }
    return out;
  }

  it('skips or sanitises every case with a logged reason and a counter, keeps running, and writes only valid account databases', async () => {
    expect(BAD_NUMBER_DOCS.length).toBeGreaterThanOrEqual(40);
    for (const account of [V1, V2, DECOY, DECOY_LOWER]) await fx.createAccountDb(account);
    for (const db of [...DECOY_DBS, 'numbers/+1415', 'numbers/+1212']) await fx.createDb(db);
    const log = new LogCapture();
    const prefix = uniquePrefix('bad-input');
    daemon = startTestDaemon(testSettings(couch.url, redisUrl(), prefix, { batchSize: 500 }), { logger: log.logger });
    await waitFor(() => daemon!.index.isReady(), { what: 'index ready' });
    const before = await snapshot();

    // Bad and good docs together, one _bulk_docs request per database: they share _changes pages.
    const all = [...BAD_NUMBER_DOCS, ...IGNORED_DB_DOCS, ...GOOD_NUMBER_DOCS];
    const revs = new Map<string, Map<string, string>>();
    for (const db of new Set(all.map((c) => c.db))) {
      const docs = all.filter((c) => c.db === db).map((c) => c.doc);
      const results = await fx.couch.request<Array<{ id: string; rev?: string; error?: string; reason?: string }>>({
        method: 'post',
        db,
        path: '_bulk_docs',
        body: { docs },
      });
      for (const r of results) expect(r.error, `${db} ${r.id.slice(0, 60)}: ${r.reason}`).toBeUndefined();
      revs.set(db, new Map(results.map((r) => [r.id, r.rev!])));
    }

    // Valid docs of the same pages were processed.
    await waitFor(async () => (await fx.drift([V1, V2, DECOY, DECOY_LOWER])).length === 0 && (await fx.listed(V2)).includes('+12125550100'), {
      what: 'good docs listed',
      timeoutMs: 30_000,
    });
    // Wait for each case's log line (all in one page, so they are there once any is).
    for (const c of BAD_NUMBER_DOCS) {
      const id = c.doc._id.slice(0, 100);
      const reasons = c.expect.outcome === 'skipped' ? [c.expect.reason] : c.expect.reasons;
      const msg = c.expect.outcome === 'skipped' ? 'invalid number doc skipped' : 'number doc sanitised';
      const logged = log.records().filter((r) => r.msg === msg && r.id === id && r.db === c.db);
      if (c.expect.outcome === 'skipped')
        expect(
          logged.map((r) => r.reason),
          c.name,
        ).toEqual(reasons);
      // Sanitised: one line per doc, counting each reason's ignored parts.
      else
        expect(
          logged.map((r) => r.reasons),
          c.name,
        ).toEqual([countsOf(reasons)]);
    }
    expect(
      log.find((r) => r.db === 'numbers/managed' && String(r.msg).startsWith('not a numbers/+NNNN database')),
      'ignored db logged',
    ).toBeDefined();

    const expected = new Map<string, number>();
    // Counters: one count per doc and reason (a doc with six bad history ids counts once).
    for (const c of BAD_NUMBER_DOCS)
      for (const reason of new Set(c.expect.outcome === 'skipped' ? [c.expect.reason] : c.expect.reasons))
        expected.set(reason, (expected.get(reason) ?? 0) + 1);
    const counted = new Map((await daemon.metrics.invalidDocs.get()).values.map((v) => [String(v.labels.reason), v.value]));
    expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));

    // Listings: good and sanitised docs exactly where they belong, skipped ones nowhere.
    const listed = new Map<string, Record<string, Record<string, unknown>>>();
    for (const account of [V1, V2]) {
      const doc = (await fx.accountDoc(account)) ?? {};
      listed.set(account, Object.fromEntries(Object.entries(doc).filter(([k]) => isNumberKey(k))) as Record<string, Record<string, unknown>>);
    }
    for (const c of [...BAD_NUMBER_DOCS, ...GOOD_NUMBER_DOCS]) {
      const id = c.doc._id;
      const want = 'listedBy' in c ? c.listedBy : c.expect.outcome === 'sanitised' ? c.expect.listedBy : [];
      const by = [V1, V2].filter((a) => id in listed.get(a)!);
      // The real +12125550100 is listed by V2; its stray copy in numbers/+1415 must not change that.
      if (c.db === 'numbers/+1415' && id === '+12125550100') continue;
      const name = 'name' in c ? c.name : id;
      expect(by, name).toEqual(want);
      if ('expect' in c && c.expect.outcome === 'sanitised') {
        for (const account of want) {
          const entry = listed.get(account)![id]!;
          if (c.expect.features) expect(entry.features, name).toEqual(c.expect.features);
          if (c.expect.usedBy !== undefined) expect(entry.used_by, name).toBe(c.expect.usedBy);
        }
      }
    }
    expect(listed.get(V2)!['+12125550100']).toMatchObject({ state: 'in_service', used_by: 'callflow', assigned_to: V2 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // Still running: a new good doc is picked up.
    await fx.putNumber({ _id: '+14153000009', pvt_state: 'in_service', pvt_assigned_to: V1 });
    await waitFor(async () => (await fx.listed(V1)).includes('+14153000009'), { what: 'a later doc listed' });
    expect(daemon.listener!.status().leader).toBe(true);
    expect(daemon.worker!.isRunning()).toBe(true);

    // Writes: no database appeared; the numbers databases hold exactly what the test wrote;
    // only V1's and V2's account databases changed.
    const after = await snapshot();
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const writable = new Set([accountDbName(V1), accountDbName(V2)]);
    for (const [db, state] of after) {
      if (writable.has(db)) continue;
      const written = revs.get(db);
      if (!written) {
        expect(state, db).toEqual(before.get(db));
        continue;
      }
      const page = await fx.couch.request<{ rows: Array<{ id: string; value: { rev: string } }> }>({ db, path: '_all_docs' });
      const extra = db === 'numbers/+1415' ? 1 : 0; // the later good doc
      expect(page.rows.length, db).toBe(written.size + extra);
      for (const row of page.rows) if (written.has(row.id)) expect(row.value.rev, `${db} ${row.id.slice(0, 60)}`).toBe(written.get(row.id));
    }
  }, 90_000);
});
