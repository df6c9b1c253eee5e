// The whole truth: what every account doc must list, computed from a set of number docs.
// Used by audits and randomized tests to check the incremental daemon against docs/rules.md,
// "Who lists a number".

import { readNumberDoc, type NumberInfo } from './number-doc.js';
import { entryData, listingAccounts, type EntryData } from './listing.js';

/**
 * accountId -> (number -> entry data). Accounts listing nothing are absent; invalid and
 * deleted docs contribute nothing. Each number should appear once (its db derives from its
 * id); if a number is given twice anyway, the last readable doc wins (e.g. a later tombstone).
 * The EntryData object of a number is shared by the accounts listing it: treat it as read-only.
 */
export function expectedAccountDocs(docs: Iterable<{ dbName: string; doc: unknown }>): Map<string, Map<string, EntryData>> {
  const latest = new Map<string, NumberInfo>();
  for (const { dbName, doc } of docs) {
    const read = readNumberDoc(doc, dbName);
    if (read.ok) latest.set(read.info.number, read.info);
  }
  const truth = new Map<string, Map<string, EntryData>>();
  for (const info of latest.values()) {
    const accounts = listingAccounts(info);
    if (accounts.length === 0) continue;
    const data = entryData(info);
    for (const account of accounts) {
      let numbers = truth.get(account);
      if (!numbers) truth.set(account, (numbers = new Map()));
      numbers.set(info.number, data);
    }
  }
  return truth;
}
