// The KAZOO 4.x way, as the baseline: a view keyed by listing account in every numbers
// database, and a rebuild that queries every one of them for the account.
import pMap from 'p-map';
import type { CouchClient } from '../../src/couch/couch-client.js';
import {
  accountDbName,
  buildAccountDoc,
  entryData,
  gregorianSeconds,
  listingAccounts,
  PHONE_NUMBERS_DOC_ID,
  readNumberDoc,
  type EntryData,
} from '../../src/rules/index.js';

export const NAIVE_VIEW_PATH = '_design/numbers/_view/listed_by';

/** Keyed by every account that lists the number (owner and reserve history), as KAZOO's assigned_to view but complete. */
export const NAIVE_DESIGN_DOC = {
  _id: '_design/numbers',
  language: 'javascript',
  views: {
    listed_by: {
      map: `function (doc) {
  var seen = {};
  if (doc.pvt_assigned_to) { seen[doc.pvt_assigned_to] = true; emit(doc.pvt_assigned_to, null); }
  var h = doc.pvt_reserve_history;
  if (Object.prototype.toString.call(h) === '[object Array]') {
    for (var i = 0; i < h.length; i++) if (typeof h[i] === 'string' && !seen[h[i]]) { seen[h[i]] = true; emit(h[i], null); }
  }
}`,
    },
  },
};

interface ViewPage {
  rows: Array<{ id: string; doc?: Record<string, unknown> }>;
}

/** Rebuilds one account from every numbers database's view (queries `fanout` databases at a time). */
export async function naiveRebuild(couch: CouchClient, accountId: string, dbs: readonly string[], fanout: number): Promise<'written' | 'unchanged'> {
  const entries = new Map<string, EntryData>();
  await pMap(
    dbs,
    async (db) => {
      const page = await couch.request<ViewPage>({ db, path: NAIVE_VIEW_PATH, qs: { key: accountId, include_docs: true } });
      for (const row of page.rows) {
        const read = readNumberDoc(row.doc, db);
        if (read.ok && listingAccounts(read.info).includes(accountId)) entries.set(read.info.number, entryData(read.info));
      }
    },
    { concurrency: fanout },
  );
  const db = accountDbName(accountId);
  const existing = await couch.getDoc(db, PHONE_NUMBERS_DOC_ID);
  const { doc, changed } = buildAccountDoc({ accountId, existing, entries, now: gregorianSeconds(Date.now()) });
  if (!changed) return 'unchanged';
  await couch.putDoc(db, doc as Record<string, unknown> & { _id: string });
  return 'written';
}
