import pMap from 'p-map';
import { accountDbName, PHONE_NUMBERS_DOC_ID, type EntryData } from '../rules/index.js';
import { CouchError } from '../couch/couch-error.js';
import type { CouchClient } from '../couch/couch-client.js';
import { listAccountIds } from '../listener/account-dbs.js';
import { readTruth } from './read-truth.js';
import { findingFor, type AccountFinding } from './findings.js';

export interface AuditResult {
  /** Accounts whose phone_numbers doc was compared. */
  checked: number;
  findings: AccountFinding[];
  /** Accounts in scope without a database: number docs list them, or they were asked for. */
  missingDatabases: string[];
}

export interface AuditOptions {
  /** Only these (validated) accounts; default every account database plus every account the truth names. */
  accountIds?: readonly string[];
  concurrency?: number;
  signal?: AbortSignal;
  /** NUMBERS_SYNC_MAX_DOC_BYTES: bigger number docs are listed nowhere, as the listener treats them. */
  maxDocBytes?: number;
  /** Called after each account doc read. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Compares account docs with the truth computed straight from the numbers databases (never
 * from the Redis index), so it also catches an index that is wrong. A snapshot: changes being
 * processed while it runs can show up as drift that the daemon is about to repair.
 */
export async function auditAccounts(couch: CouchClient, opts: AuditOptions = {}): Promise<AuditResult> {
  const truth = await readTruth(couch, { signal: opts.signal, maxDocBytes: opts.maxDocBytes });
  const existing = new Set(await listAccountIds(couch, opts.signal));
  const scope = opts.accountIds ? [...new Set(opts.accountIds)] : [...new Set([...existing, ...truth.keys()])].sort();
  const missingDatabases: string[] = [];
  const findings: AccountFinding[] = [];
  let checked = 0;
  let done = 0;
  const empty = new Map<string, EntryData>();
  await pMap(
    scope,
    async (accountId) => {
      const doc = existing.has(accountId) ? await readAccountDoc(couch, accountId, opts.signal) : 'no_db';
      if (doc === 'no_db') {
        if (opts.accountIds || truth.has(accountId)) missingDatabases.push(accountId);
      } else {
        checked++;
        const finding = findingFor(accountId, truth.get(accountId) ?? empty, doc);
        if (finding) findings.push(finding);
      }
      opts.onProgress?.(++done, scope.length);
    },
    { concurrency: opts.concurrency ?? 8, signal: opts.signal },
  );
  findings.sort((a, b) => a.accountId.localeCompare(b.accountId));
  return { checked, findings, missingDatabases: missingDatabases.sort() };
}

async function readAccountDoc(couch: CouchClient, accountId: string, signal?: AbortSignal): Promise<Record<string, unknown> | undefined | 'no_db'> {
  try {
    return await couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID, signal);
  } catch (err) {
    // Deleted between the listing and the read.
    if (err instanceof CouchError && err.kind === 'db_not_found') return 'no_db';
    throw err;
  }
}
