import { accountIdFromDbName } from '../rules/index.js';
import type { CouchClient } from '../couch/couch-client.js';

/** Ids of every account database that exists (`account/xx/yy/...` names only). */
export async function listAccountIds(couch: CouchClient, signal?: AbortSignal): Promise<string[]> {
  const names = await couch.listDbs('account/', 'account/\ufff0', signal);
  const ids: string[] = [];
  for (const name of names) {
    const id = accountIdFromDbName(name);
    if (id) ids.push(id);
  }
  return ids;
}
