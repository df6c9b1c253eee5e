// "Every account doc is correct", decided by the verify logic (src/audit): the truth is read
// straight from the numbers databases, never from the Redis index.
import { auditAccounts } from '../../src/audit/audit-accounts.js';
import type { CouchClient } from '../../src/couch/couch-client.js';

export interface Verdict {
  ok: boolean;
  checked: number;
  drifting: number;
  missingDatabases: number;
  /** First drifting accounts, for the report. */
  sample: string[];
}

export async function verifyAccounts(couch: CouchClient, accountIds?: readonly string[], concurrency = 8): Promise<Verdict> {
  const result = await auditAccounts(couch, { accountIds, concurrency });
  return {
    ok: result.findings.length === 0 && result.missingDatabases.length === 0,
    checked: result.checked,
    drifting: result.findings.length,
    missingDatabases: result.missingDatabases.length,
    sample: result.findings.slice(0, 5).map((f) => f.accountId),
  };
}
