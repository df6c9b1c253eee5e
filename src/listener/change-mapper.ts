import { entryData, isE164, listingAccounts, numberDbName, readNumberDoc } from '../spec/index.js';
import type { IndexChange } from '../index/number-index.js';
import type { ChangeRow } from '../couch/couch-client.js';

export interface Rejection {
  id: string;
  reason: string;
  detail: string;
}

export interface MappedBatch {
  changes: IndexChange[];
  /** Docs skipped as invalid (listed nowhere). */
  invalid: Rejection[];
  /** Valid docs with ignored parts (e.g. junk in the reserve history). */
  warnings: Rejection[];
}

/**
 * Turns a page of `_changes` rows of one numbers database into index changes (pure).
 * A row whose id does not belong to this database (design docs, junk ids, a number filed in
 * the wrong database) never touches the index, so it cannot disturb the real number's entry.
 * A doc with a valid id but invalid content is listed nowhere, like a deleted one.
 */
export function mapChanges(db: string, rows: readonly ChangeRow[]): MappedBatch {
  const latest = new Map<string, ChangeRow>();
  // Within one page only the last revision of a doc matters.
  for (const row of rows) latest.set(row.id, row);

  const out: MappedBatch = { changes: [], invalid: [], warnings: [] };
  for (const row of latest.values()) {
    const doc = row.deleted ? { _id: row.id, _deleted: true } : row.doc;
    const read = readNumberDoc(doc ?? { _id: row.id }, db);
    const ownsId = isE164(row.id) && numberDbName(row.id) === db;
    if (!read.ok) {
      out.invalid.push({ id: row.id, reason: read.reason, detail: read.detail });
      if (ownsId) out.changes.push({ number: row.id });
      continue;
    }
    for (const w of read.warnings) out.warnings.push({ id: row.id, reason: w.reason, detail: w.detail });
    const accounts = listingAccounts(read.info);
    out.changes.push(
      accounts.length === 0
        ? { number: row.id }
        : { number: row.id, value: { db, accounts, entry: entryData(read.info) } },
    );
  }
  return out;
}
