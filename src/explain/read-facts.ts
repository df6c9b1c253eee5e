// The I/O of `numbers-sync explain`: the number doc, what the index holds for it, and the
// phone_numbers doc of every account concerned. A few reads, whatever the size of the system.
import pMap from 'p-map';
import type { Redis } from 'ioredis';
import type { CouchClient } from '../couch/couch-client.js';
import { CouchError } from '../couch/couch-error.js';
import type { NumberIndex } from '../index/number-index.js';
import { PHONE_NUMBERS_DOC_ID, accountDbName, numberDbName } from '../rules/index.js';
import { accountsToCheck, type AccountDocFact, type ExplainFacts, type NumberDocFact } from './explain-number.js';

export interface ExplainSources {
  couch: CouchClient;
  redis: Redis;
  index: NumberIndex;
  maxDocBytes: number;
}

/** `number` must be E.164 (numberDbName throws otherwise). */
export async function readExplainFacts(s: ExplainSources, number: string): Promise<ExplainFacts> {
  const db = numberDbName(number);
  const [numberDoc, indexed, readyEpoch] = await Promise.all([readNumberDocFact(s, db, number), s.index.lookup(number), s.index.readyEpoch()]);
  const accounts = accountsToCheck(numberDoc, db, indexed);
  const membership = await pMap(accounts, (a) => s.redis.sismember(s.index.keys.account(a), number), { concurrency: 8 });
  const docs = await pMap(accounts, (a) => readAccountDoc(s.couch, a), { concurrency: 8 });
  return {
    number,
    db,
    numberDoc,
    indexReady: readyEpoch !== undefined,
    ...(indexed ? { indexed } : {}),
    inAccountSet: new Map(accounts.map((a, i) => [a, membership[i] === 1])),
    accountDocs: new Map(accounts.map((a, i) => [a, docs[i]!])),
  };
}

async function readNumberDocFact(s: ExplainSources, db: string, number: string): Promise<NumberDocFact> {
  try {
    const doc = await s.couch.getDocBounded(db, number, s.maxDocBytes);
    if (doc === undefined) return { kind: 'missing' };
    return doc === 'too_large' ? { kind: 'too_large' } : { kind: 'doc', doc };
  } catch (err) {
    if (err instanceof CouchError && err.kind === 'db_not_found') return { kind: 'no_database' };
    throw err;
  }
}

async function readAccountDoc(couch: CouchClient, accountId: string): Promise<AccountDocFact> {
  try {
    const doc = await couch.getDoc(accountDbName(accountId), PHONE_NUMBERS_DOC_ID);
    return doc ? { kind: 'doc', doc } : { kind: 'no_doc' };
  } catch (err) {
    if (err instanceof CouchError && err.kind === 'db_not_found') return { kind: 'no_database' };
    throw err;
  }
}
