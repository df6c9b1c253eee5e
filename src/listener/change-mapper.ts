import { entryData, isE164, listingAccounts, numberDbName, readNumberDoc, type WarningCounts } from '../rules/index.js';
import type { IndexChange } from '../index/number-index.js';
import type { ChangeRow } from '../couch/couch-client.js';

/** Reason of a doc quarantined for its size (listed nowhere, like an invalid doc). */
export const TOO_LARGE = 'too_large';

export interface Rejection {
  id: string;
  /** Revision of the row, when the feed gave one (quarantine is reported once per revision). */
  rev?: string;
  reason: string;
  detail: string;
}

/** Everything ignored in one valid doc: one report per doc, however many bad parts it has. */
export interface DocWarnings {
  id: string;
  rev?: string;
  /** reason -> how many parts of the doc were ignored for it. */
  reasons: WarningCounts;
  /** A few details (at most WARNING_SAMPLES_PER_REASON per reason). */
  samples: string[];
}

export interface MappedBatch {
  changes: IndexChange[];
  /** Docs skipped as invalid or too large (listed nowhere). */
  invalid: Rejection[];
  /** Valid docs with ignored parts (e.g. junk in the reserve history). */
  warnings: DocWarnings[];
}

interface MappedRow {
  change?: IndexChange;
  invalid?: Rejection;
  warnings?: DocWarnings;
}

/**
 * Turns the `_changes` rows of one numbers database into index changes, one row at a time, so
 * a page's docs are dropped as soon as they are read (pure).
 * Within one page only the last revision of a doc matters.
 * A row whose id does not belong to this database (design docs, junk ids, a number filed in
 * the wrong database) never touches the index, so it cannot disturb the real number's entry.
 * A doc with a valid id but invalid content, or quarantined for its size, is listed nowhere,
 * like a deleted one.
 */
export class PageMapper {
  private readonly latest = new Map<string, MappedRow>();

  constructor(private readonly db: string) {}

  get size(): number {
    return this.latest.size;
  }

  add(row: ChangeRow): void {
    const { db } = this;
    const rev = row.changes?.[0]?.rev;
    const doc = row.deleted ? { _id: row.id, _deleted: true } : row.doc;
    const read = readNumberDoc(doc ?? { _id: row.id }, db);
    if (!read.ok) {
      this.reject({ id: row.id, ...(rev ? { rev } : {}), reason: read.reason, detail: read.detail });
      return;
    }
    const out: MappedRow = {};
    if (read.warnings.length > 0) {
      out.warnings = { id: row.id, ...(rev ? { rev } : {}), reasons: read.warningCounts, samples: read.warnings.map((w) => w.detail) };
    }
    const accounts = listingAccounts(read.info);
    out.change = accounts.length === 0 ? { number: row.id } : { number: row.id, value: { db, accounts, entry: entryData(read.info) } };
    this.latest.set(row.id, out);
  }

  /** A row whose doc is above the size limit: removed from the index if the id is this database's. */
  quarantine(id: string, rev: string | undefined, detail: string): void {
    this.reject({ id, ...(rev ? { rev } : {}), reason: TOO_LARGE, detail });
  }

  result(): MappedBatch {
    const out: MappedBatch = { changes: [], invalid: [], warnings: [] };
    for (const row of this.latest.values()) {
      if (row.change) out.changes.push(row.change);
      if (row.invalid) out.invalid.push(row.invalid);
      if (row.warnings) out.warnings.push(row.warnings);
    }
    return out;
  }

  private reject(rejection: Rejection): void {
    const ownsId = isE164(rejection.id) && numberDbName(rejection.id) === this.db;
    this.latest.set(rejection.id, { invalid: rejection, ...(ownsId ? { change: { number: rejection.id } } : {}) });
  }
}

/** mapChanges for a page already in memory. */
export function mapChanges(db: string, rows: readonly ChangeRow[]): MappedBatch {
  const mapper = new PageMapper(db);
  for (const row of rows) mapper.add(row);
  return mapper.result();
}
