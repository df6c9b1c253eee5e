import { describe, expect, it } from 'vitest';
import { basicAuthMatches, parseBasicAuth } from '../../src/basic-auth.js';

const header = (raw: string) => `Basic ${Buffer.from(raw, 'utf8').toString('base64')}`;
const expected = { user: 'operator', password: 'correct horse' };

describe('parseBasicAuth', () => {
  it('splits user and password at the first colon', () => {
    expect(parseBasicAuth(header('operator:pa:ss'))).toEqual({ user: 'operator', password: 'pa:ss' });
    expect(parseBasicAuth(`basic ${Buffer.from('u:p').toString('base64')}`)).toEqual({ user: 'u', password: 'p' });
  });

  it('rejects missing or malformed headers', () => {
    expect(parseBasicAuth(undefined)).toBeUndefined();
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(header('no-colon'))).toBeUndefined();
    expect(parseBasicAuth('Basic !!!')).toBeUndefined();
  });
});

describe('basicAuthMatches', () => {
  it('accepts exactly the configured credentials', () => {
    expect(basicAuthMatches(header('operator:correct horse'), expected)).toBe(true);
  });

  it('rejects a wrong user, a wrong password, prefixes and absence', () => {
    expect(basicAuthMatches(header('operator:wrong'), expected)).toBe(false);
    expect(basicAuthMatches(header('someone:correct horse'), expected)).toBe(false);
    expect(basicAuthMatches(header('operator:correct hors'), expected)).toBe(false);
    expect(basicAuthMatches(header('operator:correct horse!'), expected)).toBe(false);
    expect(basicAuthMatches(header(':'), expected)).toBe(false);
    expect(basicAuthMatches(undefined, expected)).toBe(false);
  });

  it('compares unicode credentials by their bytes', () => {
    expect(basicAuthMatches(header('opérateur:mot de passé'), { user: 'opérateur', password: 'mot de passé' })).toBe(true);
  });
});
