import { describe, expect, it } from 'vitest';
import { isE164, isFollowedNumbersDb, isNumbersDbName, numberDbName } from '../../../src/rules/e164.js';
import { encodeDbName } from '../../../src/rules/db-name.js';

describe('isE164', () => {
  it.each(['+14158867900', '+12345678', '+123456789012345', '+442071838750'])('accepts %s', (n) => {
    expect(isE164(n)).toBe(true);
  });
  it.each([
    ['too short', '+1234567'],
    ['too long', '+1234567890123456'],
    ['no plus', '14158867900'],
    ['double plus', '++14158867900'],
    ['spaces', '+1 415 886 7900'],
    ['trailing newline', '+14158867900\n'],
    ['letters', '+1415886790a'],
    ['unicode digits', '+١٤١٥٨٨٦٧٩٠٠'],
    ['empty', ''],
  ])('rejects %s', (_, n) => {
    expect(isE164(n)).toBe(false);
  });
  it.each([null, undefined, 14158867900, {}, ['+14158867900']])('rejects non-string %j', (v) => {
    expect(isE164(v)).toBe(false);
  });
});

describe('numberDbName', () => {
  it('uses the first 5 characters (the example of docs/rules.md)', () => {
    expect(numberDbName('+14158867900')).toBe('numbers/+1415');
    expect(numberDbName('+12125550199')).toBe('numbers/+1212');
  });
  it('encodes for HTTP paths', () => {
    expect(encodeDbName(numberDbName('+14158867900'))).toBe('numbers%2F%2B1415');
  });
  it.each(['', '+1415', '1415886790', '+14158867900 ', '../x'])('throws on %j', (n) => {
    expect(() => numberDbName(n)).toThrow(TypeError);
  });
});

describe('isFollowedNumbersDb', () => {
  it.each(['numbers/+1415', 'numbers/+4420', 'numbers/+0000'])('follows %s', (db) => {
    expect(isFollowedNumbersDb(db)).toBe(true);
  });
  it.each([
    'numbers/managed',
    'numbers/inum',
    'numbers/+141',
    'numbers/+14155',
    'numbers/1415',
    'numbers%2F%2B1415',
    'numbers/+1415/x',
    'xnumbers/+1415',
    'numbers/+1415\n',
    '',
  ])('ignores %j', (db) => {
    expect(isFollowedNumbersDb(db)).toBe(false);
  });
});

describe('isNumbersDbName', () => {
  it('matches every numbers/ db, followed or not', () => {
    expect(isNumbersDbName('numbers/+1415')).toBe(true);
    expect(isNumbersDbName('numbers/managed')).toBe(true);
    expect(isNumbersDbName('numbers')).toBe(false);
    expect(isNumbersDbName('account/43/57/9fc0a3aa11e29e960800200c9a66')).toBe(false);
  });
});
