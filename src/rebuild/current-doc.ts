import { PHONE_NUMBERS_DOC_ID } from '../rules/index.js';
import type { CouchClient } from '../couch/couch-client.js';

export interface CurrentDoc {
  /** The winning revision of the account doc; undefined when there is none. */
  doc?: Record<string, unknown>;
  /** Revs of the other live leaves (losing conflict revisions) seen with it. */
  conflicts: string[];
  /** 'cache': the cached doc, proven to be the conflict-free winner by a HEAD. */
  source: 'cache' | 'couch';
}

/**
 * The account doc a rebuild must start from: the winning revision in CouchDB, never merely the
 * doc this daemon last wrote. A cached doc is used only when `HEAD ?conflicts=true` answers
 * with its rev as ETag (CouchDB sends no ETag while the doc has conflicts); anything else, an
 * outside edit, a replicated conflict or a stale cache, costs one GET with `conflicts=true`.
 * Throws CouchError db_not_found when the account database does not exist.
 */
export async function readCurrentDoc(couch: CouchClient, db: string, cached: CachedDoc | undefined, signal?: AbortSignal): Promise<CurrentDoc> {
  if (cached) {
    const proven = provenByHead(await headCurrentDoc(couch, db, signal), cached);
    if (proven) return proven;
  }
  return getCurrentDoc(couch, db, signal);
}

export type CachedDoc = Record<string, unknown> & { _rev: string };

/** `HEAD ?conflicts=true` of the account doc (undefined when the doc or its database is missing). */
export function headCurrentDoc(couch: CouchClient, db: string, signal?: AbortSignal): Promise<{ etag?: string } | undefined> {
  return couch.headDoc(db, PHONE_NUMBERS_DOC_ID, { conflicts: true, signal });
}

/** The cached doc as the current one, when the HEAD's ETag names its rev (hence no conflicts either). */
export function provenByHead(head: { etag?: string } | undefined, cached: CachedDoc | undefined): CurrentDoc | undefined {
  return cached && head?.etag === `"${cached._rev}"` ? { doc: cached, conflicts: [], source: 'cache' } : undefined;
}

/** The winning revision with its conflicts, read from CouchDB (throws db_not_found). */
export async function getCurrentDoc(couch: CouchClient, db: string, signal?: AbortSignal): Promise<CurrentDoc> {
  const doc = await couch.getDocWithConflicts(db, PHONE_NUMBERS_DOC_ID, signal);
  const conflicts = Array.isArray(doc?._conflicts) ? doc._conflicts.filter((rev): rev is string => typeof rev === 'string') : [];
  return { ...(doc ? { doc } : {}), conflicts, source: 'couch' };
}
