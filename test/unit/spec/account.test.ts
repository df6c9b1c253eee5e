import { describe, expect, it } from 'vitest';
import {
  InvalidAccountIdError,
  accountDbName,
  accountIdFromDbName,
  encodedAccountDbName,
  isAccountId,
} from '../../../src/spec/account.js';

const ID = '43579fc0a3aa11e29e960800200c9a66';

const HOSTILE: unknown[] = [
  '_users',
  '_replicator',
  '../x',
  'account/..',
  '../../../../../../../../../../../..',
  '43579FC0A3AA11E29E960800200C9A66', // uppercase hex
  '43579fc0a3aa11e29e960800200c9a6', // 31
  '43579fc0a3aa11e29e960800200c9a660', // 33
  '43579fc0a3aa11e29e960800200c9a6g', // not hex
  '43579fc0-a3aa-11e2-9e96-0800200c9a66', // uuid dashes
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
  it('accepts 32 lowercase hex', () => {
    expect(isAccountId(ID)).toBe(true);
  });
  it.each(HOSTILE)('rejects %j', (v) => {
    expect(isAccountId(v)).toBe(false);
  });
});

describe('accountDbName', () => {
  it('splits 2/2/28 (SPEC example)', () => {
    expect(accountDbName(ID)).toBe('account/43/57/9fc0a3aa11e29e960800200c9a66');
  });
  it('encodes slashes', () => {
    expect(encodedAccountDbName(ID)).toBe('account%2F43%2F57%2F9fc0a3aa11e29e960800200c9a66');
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
  it.each([
    'account%2F43%2F57%2F9fc0a3aa11e29e960800200c9a66',
    'account/43/57/9fc0a3aa11e29e960800200c9a66-202401',
    'account/43/57/9FC0A3AA11E29E960800200C9A66',
    'account/43/57/9fc0a3aa11e29e960800200c9a6',
    'account/4/357/9fc0a3aa11e29e960800200c9a66',
    'account/43/57/9fc0a3aa11e29e960800200c9a66/',
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
