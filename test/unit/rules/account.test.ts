// docs/rules.md "Databases and ids": an account id is exactly 32 characters of [0-9a-z], and
// nothing else is ever turned into a database name.
import { describe, expect, it } from 'vitest';
import { InvalidAccountIdError, accountDbName, accountIdFromDbName, encodedAccountDbName, isAccountId } from '../../../src/rules/account.js';

const ID = '43579fc0a3aa11e29e960800200c9a66';
/** KAZOO's own fixture data uses ids like this one (not hex). */
const KAZOO_ID = 'account0000000000000000000000002';

const VALID = [
  ID,
  KAZOO_ID,
  'abcdefghijklmnopqrstuvwxyz012345',
  '6789zyxwvutsrqponmlkjihgfedcba01',
  '0'.repeat(32),
  'z'.repeat(32),
  '43579fc0a3aa11e29e960800200c9a6g', // hex but for one letter beyond f
];

const HOSTILE: unknown[] = [
  '_users',
  '_replicator',
  '../x',
  'account/..',
  '../../../../../../../../../../../..',
  '43579FC0A3AA11E29E960800200C9A66', // uppercase hex
  'ACCOUNT0000000000000000000000002', // uppercase letters
  'Account0000000000000000000000002', // one uppercase letter
  '43579fc0a3aa11e29e960800200c9a6', // 31
  '43579fc0a3aa11e29e960800200c9a660', // 33
  'account000000000000000000000002', // 31
  'account00000000000000000000000002', // 33
  '43579fc0-a3aa-11e2-9e96-0800200c9a66', // uuid dashes
  'account-000000000000000000000002', // punctuation, 32 chars
  'account_000000000000000000000002',
  'account.000000000000000000000002',
  'account/000000000000000000000002',
  'account+000000000000000000000002',
  'account$000000000000000000000002',
  'account(000000000000000000000002',
  'account%2F0000000000000000000002',
  'account 000000000000000000000002',
  'account\u0000000000000000000000002', // NUL
  'accounté00000000000000000000002', // 32 UTF-16 units, one of them not ASCII
  'accounte\u0301000000000000000000002', // combining accent
  '\u0430ccount0000000000000000000000002', // Cyrillic a (homoglyph)
  'account\uff10000000000000000000000002', // fullwidth digit zero
  'account\u0131000000000000000000000002', // dotless i
  'account٠000000000000000000000002', // Arabic-Indic digit
  '\u{1d41a}ccount000000000000000000000002', // mathematical bold a (surrogate pair)
  ` ${ID}`,
  `${ID}\n`,
  'account/43/57/9fc0a3aa11e29e960800200c9a66',
  '',
  null,
  undefined,
  42,
  {},
  [ID],
  { toString: () => ID },
];

describe('isAccountId', () => {
  it.each(VALID)('accepts %j (32 of [0-9a-z])', (v) => {
    expect(isAccountId(v)).toBe(true);
  });
  it.each(HOSTILE)('rejects %j', (v) => {
    expect(isAccountId(v)).toBe(false);
  });
});

describe('accountDbName', () => {
  it('splits 2/2/28 (the example of docs/rules.md)', () => {
    expect(accountDbName(ID)).toBe('account/43/57/9fc0a3aa11e29e960800200c9a66');
  });
  it('encodes slashes', () => {
    expect(encodedAccountDbName(ID)).toBe('account%2F43%2F57%2F9fc0a3aa11e29e960800200c9a66');
  });
  it("maps KAZOO's fixture ids to the database names KAZOO's fixtures use", () => {
    expect(accountDbName(KAZOO_ID)).toBe('account/ac/co/unt0000000000000000000000002');
    expect(encodedAccountDbName(KAZOO_ID)).toBe('account%2Fac%2Fco%2Funt0000000000000000000000002');
  });
  it.each(VALID)('gives %j a name CouchDB accepts, and back', (v) => {
    const name = accountDbName(v);
    // CouchDB's rule for database names.
    expect(name).toMatch(/^[a-z][a-z0-9_$()+/-]*$/);
    expect(accountIdFromDbName(name)).toBe(v);
  });
  it.each(HOSTILE)('never turns %j into a db name', (v) => {
    expect(() => accountDbName(v as string)).toThrow(InvalidAccountIdError);
    expect(() => encodedAccountDbName(v as string)).toThrow(InvalidAccountIdError);
  });
  it('does not echo huge values in the error', () => {
    const err = (() => {
      try {
        accountDbName('x'.repeat(100_000));
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InvalidAccountIdError);
    expect(err?.name).toBe('InvalidAccountIdError');
    expect(err!.message.length).toBeLessThan(200);
  });
});

describe('accountIdFromDbName', () => {
  it('inverts accountDbName', () => {
    expect(accountIdFromDbName(accountDbName(ID))).toBe(ID);
  });
  it('reads KAZOO fixture account databases', () => {
    expect(accountIdFromDbName('account/ac/co/unt0000000000000000000000002')).toBe(KAZOO_ID);
  });
  it.each([
    'account%2F43%2F57%2F9fc0a3aa11e29e960800200c9a66',
    'account%2Fac%2Fco%2Funt0000000000000000000000002',
    'account/43/57/9fc0a3aa11e29e960800200c9a66-202401',
    'account/ac/co/unt0000000000000000000000004-201710', // KAZOO's monthly (modb) database
    'account/43/57/9FC0A3AA11E29E960800200C9A66',
    'account/AC/CO/UNT0000000000000000000000002',
    'account/43/57/9fc0a3aa11e29e960800200c9a6',
    'account/43/57/9fc0a3aa11e29e960800200c9a666',
    'account/4/357/9fc0a3aa11e29e960800200c9a66',
    'account/43/57/9fc0a3aa11e29e960800200c9a66/',
    'account/ac/co/unt-000000000000000000000002',
    'account/ac/co/unt_000000000000000000000002',
    'account/ac/co/unté000000000000000000000002',
    'account/ac/co/unt0000000000000000000000002\n',
    'xaccount/43/57/9fc0a3aa11e29e960800200c9a66',
    'numbers/+1415',
    '_users',
    '',
  ])('returns undefined for %j', (db) => {
    expect(accountIdFromDbName(db)).toBeUndefined();
  });
  it('returns undefined for non-strings', () => {
    expect(accountIdFromDbName(undefined as unknown as string)).toBeUndefined();
  });
});
