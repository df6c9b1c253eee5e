import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import type { NumberIndex } from '../index/number-index.js';
import { compareAccount } from '../audit/compare-account.js';
import { cachedEntryRev } from '../rebuild/doc-cache.js';
import type { RepairKind } from './repair-kinds.js';

/**
 * Compares one account doc (CouchDB's winning revision) with what the index says it must list.
 * 'account_doc': the content differs, a rebuild must read the doc from CouchDB and rewrite it;
 * 'doc_cache': the content agrees but the copy cached for the next rebuild is not the winning
 * revision, so it must be dropped. Undefined when all agree, the index is not ready or the
 * account has no database.
 */
export async function checkAccount(couch: CouchClient, index: NumberIndex, accountId: string, signal?: AbortSignal): Promise<RepairKind | undefined> {
  const snapshot = await index.readyEntriesOf(accountId);
  if (!snapshot) return undefined;
  let doc: Record<string, unknown> | undefined;
  try {
    doc = await couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID, signal);
  } catch (err) {
    if (err instanceof CouchError && err.kind === 'db_not_found') return undefined;
    throw err;
  }
  // No doc and nothing to list agrees (the daemon creates no empty docs).
  if (compareAccount(accountId, snapshot.entries, doc)) return 'account_doc';
  if (snapshot.cachedDoc !== undefined && cachedEntryRev(snapshot.cachedDoc) !== doc?._rev) return 'doc_cache';
  return undefined;
}
