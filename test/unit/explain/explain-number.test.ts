import { describe, expect, it } from 'vitest';
import { accountsToCheck, explainNumber, type AccountDocFact, type ExplainFacts } from '../../../src/explain/explain-number.js';
import { entryFor, type EntryData } from '../../../src/rules/index.js';

const OWNER = 'a'.repeat(32);
const PARENT = 'b'.repeat(32);
const N = '+14155550100';
const DB = 'numbers/+1415';
const doc = { _id: N, pvt_state: 'in_service', pvt_assigned_to: OWNER, pvt_reserve_history: [PARENT] };
const data: EntryData = { state: 'in_service', features: [], assigned_to: OWNER, used_by: '', created: 0, updated: 0 };

function facts(over: Partial<ExplainFacts> = {}): ExplainFacts {
  const listed = (a: string): AccountDocFact => ({ kind: 'doc', doc: { _id: 'phone_numbers', [N]: entryFor(data, a) } });
  return {
    number: N,
    db: DB,
    numberDoc: { kind: 'doc', doc },
    indexReady: true,
    indexed: { db: DB, accounts: [OWNER, PARENT], entry: data },
    inAccountSet: new Map([
      [OWNER, true],
      [PARENT, true],
    ]),
    accountDocs: new Map([
      [OWNER, listed(OWNER)],
      [PARENT, listed(PARENT)],
    ]),
    ...over,
  };
}

describe('explainNumber (pure)', () => {
  it('accounts to read: the index, the owner and the reserve history', () => {
    expect(accountsToCheck({ kind: 'doc', doc }, DB, { db: DB, accounts: ['c'.repeat(32)], entry: data })).toEqual([OWNER, PARENT, 'c'.repeat(32)]);
    expect(accountsToCheck({ kind: 'missing' }, DB, undefined)).toEqual([]);
  });

  it('all agree: consistent, owner then reserve history', () => {
    const e = explainNumber(facts());
    expect(e.consistent).toBe(true);
    expect(e.mustList).toEqual([
      { accountId: OWNER, rule: 'owner' },
      { accountId: PARENT, rule: 'reserve_history' },
    ]);
    expect(e.hints).toEqual([]);
  });

  it('an index behind the doc: the differences and the reindex hint', () => {
    const e = explainNumber(
      facts({
        indexed: { db: DB, accounts: [OWNER], entry: { ...data, state: 'reserved' } },
        inAccountSet: new Map([
          [OWNER, true],
          [PARENT, false],
        ]),
      }),
    );
    expect(e.index.agrees).toBe(false);
    expect(e.index.differences).toEqual([`accounts: index [${OWNER}], doc implies [${OWNER}, ${PARENT}]`, 'entry differs in state']);
    expect(e.consistent).toBe(false);
    expect(e.hints[0]).toContain(`numbers-sync reindex --db ${DB}`);
  });

  it('a missing account database is reported, not drift; a deleted doc is listed nowhere', () => {
    const e = explainNumber(
      facts({
        accountDocs: new Map([
          [OWNER, { kind: 'doc', doc: { [N]: entryFor(data, OWNER) } }],
          [PARENT, { kind: 'no_database' }],
        ]),
      }),
    );
    expect(e.accounts.find((a) => a.accountId === PARENT)?.entry).toBe('no_database');
    expect(e.consistent).toBe(true);
    expect(e.hints).toEqual([expect.stringContaining(`account ${PARENT} has no database`)]);

    const deleted = explainNumber(facts({ numberDoc: { kind: 'doc', doc: { ...doc, pvt_deleted: true } } }));
    expect(deleted.doc.status).toBe('deleted');
    expect(deleted.mustList).toEqual([]);
    expect(deleted.notes).toEqual(['deleted (pvt_deleted): listed nowhere']);
    expect(deleted.index.differences[0]).toContain('must be listed nowhere');
    expect(deleted.accounts.map((a) => a.entry)).toEqual(['extra', 'extra']);
  });

  it('a quarantined doc (too large) and a missing database are listed nowhere', () => {
    expect(explainNumber(facts({ numberDoc: { kind: 'too_large' }, indexed: undefined, inAccountSet: new Map(), accountDocs: new Map() }))).toMatchObject({
      doc: { status: 'quarantined', reason: 'too_large' },
      mustList: [],
      consistent: true,
    });
    expect(explainNumber(facts({ numberDoc: { kind: 'no_database' }, indexed: undefined, inAccountSet: new Map(), accountDocs: new Map() })).doc.status).toBe(
      'no_database',
    );
  });
});
