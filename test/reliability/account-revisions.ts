import type { CouchClient } from '../../src/couch/couch-client.js';
import { accountDbName, jsonEqual, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';
import { revGeneration, type CouchFixture } from '../harness/numbers.js';

/**
 * Every stored revision of an account's phone_numbers doc newer than `afterGeneration`,
 * oldest first. CouchDB (and the embedded server) keep old revision bodies until compaction,
 * so a test can check each intermediate state the daemon published, not only the last one.
 */
export async function revisionsSince(couch: CouchClient, accountId: string, afterGeneration: number): Promise<Array<Record<string, unknown>>> {
  const db = accountDbName(accountId);
  const latest = await couch.request<{ _revs_info?: Array<{ rev: string; status: string }> }>({ db, path: PHONE_NUMBERS_DOC_ID, qs: { revs_info: true } });
  const revs = (latest._revs_info ?? []).filter((r) => r.status === 'available' && revGeneration(r.rev) > afterGeneration).reverse();
  const docs: Array<Record<string, unknown>> = [];
  for (const { rev } of revs) docs.push(await couch.request({ db, path: PHONE_NUMBERS_DOC_ID, qs: { rev } }));
  return docs;
}

/** Per account: its doc's revision generation and the entries it lists for numbers a fault scenario will not touch. */
export type StableSnapshot = Map<string, { generation: number; entries: Record<string, unknown> }>;

export async function stableSnapshot(fx: CouchFixture, accounts: readonly string[], stable: ReadonlySet<string>): Promise<StableSnapshot> {
  const out: StableSnapshot = new Map();
  for (const account of accounts) {
    const doc = (await fx.accountDoc(account)) ?? {};
    const entries = Object.fromEntries(Object.entries(doc).filter(([k]) => stable.has(k)));
    out.set(account, { generation: revGeneration(doc._rev), entries });
  }
  return out;
}

/**
 * Checks every revision written since the snapshot: each must still carry the untouched
 * numbers' entries unchanged. A rebuild from a lost or half-replayed index would drop them.
 * Returns one line per violation.
 */
export async function droppedStableEntries(fx: CouchFixture, snapshot: StableSnapshot): Promise<string[]> {
  const problems: string[] = [];
  for (const [account, { generation: since, entries }] of snapshot) {
    if (Object.keys(entries).length === 0) continue;
    for (const rev of await revisionsSince(fx.couch, account, since)) {
      for (const [number, entry] of Object.entries(entries)) {
        const { locality: _l, ...kept } = (rev[number] ?? {}) as Record<string, unknown>;
        if (!jsonEqual(kept, entry)) problems.push(`${account} ${String(rev._rev)}: ${number} ${JSON.stringify(rev[number] ?? null)}`);
      }
    }
  }
  return problems;
}
