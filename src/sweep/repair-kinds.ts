// Pure: what a reindex or a sweep found wrong, by kind (the `kind` label of numbers_sync_sweep_repairs_total).
import { jsonEqual } from '../rules/index.js';
import type { IndexChange, IndexedNumber, NumberState } from '../index/number-index.js';

export type RepairKind =
  /** A number CouchDB holds (listed by someone) that the index lacked. */
  | 'missing'
  /** The index named other listing accounts (a wrong owner, or a reservation lost or invented). */
  | 'owner'
  /** Same accounts, different entry data (state, features, ...). */
  | 'entry'
  /** Right value, but the number was absent from its account's or database's set. */
  | 'membership'
  /** Indexed, but CouchDB no longer lists it anywhere (deleted, released, or never there). */
  | 'stale'
  /** An account doc that differs from what the index says it must list. */
  | 'account_doc'
  /** The cached copy of an account doc was not CouchDB's winning revision. */
  | 'doc_cache'
  /** A numbers database deleted and re-created (or purged) behind the daemon's back. */
  | 'recreated'
  /** A checkpoint CouchDB refused as a `since` (corrupt, or from another server). */
  | 'checkpoint';

export type RepairCounts = Partial<Record<RepairKind, number>>;

/** The repair a number needs so that the index holds `next` (undefined: listed nowhere), if any. */
export function numberRepair(state: NumberState, next: IndexedNumber | undefined): RepairKind | undefined {
  const have = state.value;
  if (!next) return have ? 'stale' : undefined;
  if (!have) return 'missing';
  if (!jsonEqual([...have.accounts].sort(), [...next.accounts].sort())) return 'owner';
  if (have.db !== next.db || !jsonEqual(have.entry, next.entry)) return 'entry';
  if (!state.inDb || state.inAccounts.some((inSet) => !inSet)) return 'membership';
  return undefined;
}

/**
 * The changes to commit for a page so the index ends exactly as CouchDB says. The commit script
 * skips a number whose stored value is byte-identical, so a number with a right value but broken
 * set memberships is first removed, then stored again, in the same batch (one atomic script).
 */
export function repairedChanges(changes: readonly IndexChange[], repairs: ReadonlyArray<RepairKind | undefined>): IndexChange[] {
  const out: IndexChange[] = [];
  changes.forEach((change, i) => {
    if (repairs[i] === 'membership') out.push({ number: change.number });
    out.push(change);
  });
  return out;
}

export function addRepair(counts: RepairCounts, kind: RepairKind, n = 1): void {
  counts[kind] = (counts[kind] ?? 0) + n;
}
