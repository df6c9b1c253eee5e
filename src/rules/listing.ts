// docs/rules.md "Who lists a number" and "The entry" (the entry written for it).

import type { NumberInfo } from './number-doc.js';

/** States in which the owner lists its number (U in docs/rules.md). */
export const LISTED_STATES: ReadonlySet<string> = new Set(['reserved', 'in_service', 'port_in', 'port_out']);

/**
 * A lists N iff (A == owner and state in U) or (A in history and A != owner).
 * Deleted and 'discovery' numbers are listed nowhere. Sorted, unique.
 */
export function listingAccounts(info: NumberInfo): string[] {
  if (info.deleted || info.state === 'discovery') return [];
  const accounts = new Set<string>();
  if (info.owner !== undefined && LISTED_STATES.has(info.state)) accounts.add(info.owner);
  for (const account of info.history) {
    if (account !== info.owner) accounts.add(account);
  }
  return [...accounts].sort();
}

export interface NumberEntry {
  state: string;
  features: string[];
  assigned_to?: string;
  on_subaccount: boolean;
  used_by: string;
  created: number;
  updated: number;
  /** Written by the KAZOO API; only ever carried over from the existing entry. */
  locality?: unknown;
}

/** The account-independent part of an entry (what an index stores per number). */
export type EntryData = Omit<NumberEntry, 'on_subaccount' | 'locality'>;

export function entryData(info: NumberInfo): EntryData {
  return {
    state: info.state,
    features: [...info.features],
    ...(info.owner !== undefined ? { assigned_to: info.owner } : {}),
    used_by: info.usedBy,
    created: info.created,
    updated: info.updated,
  };
}

/**
 * The entry as written in `accountId`'s doc. JSON key order is always state, features,
 * assigned_to, on_subaccount, used_by, created, updated.
 * on_subaccount is true for entries that exist only because of the reserve history.
 */
export function entryFor(data: EntryData, accountId: string): NumberEntry {
  return {
    state: data.state,
    features: [...data.features],
    ...(data.assigned_to !== undefined ? { assigned_to: data.assigned_to } : {}),
    on_subaccount: accountId !== data.assigned_to,
    used_by: data.used_by,
    created: data.created,
    updated: data.updated,
  };
}
