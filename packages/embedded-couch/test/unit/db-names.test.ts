import { describe, expect, it } from 'vitest';
import { dbToken, isValidDbName, nameFromToken } from '../../src/db-names.js';

describe('database names', () => {
  it('accepts CouchDB names, including KAZOO ones with / and +', () => {
    for (const name of ['numbers/+1415', 'account/43/57/0123456789abcdef', 'a', 'x_$()+-/', '_users', '_replicator']) {
      expect(isValidDbName(name)).toBe(true);
    }
    for (const name of ['', 'Upper', '1abc', '_other', 'a.b', 'a b', 'a\u00e9', 'a'.repeat(239)]) {
      expect(isValidDbName(name)).toBe(false);
    }
  });

  it('maps names to single, reversible, file-safe tokens', () => {
    for (const name of ['numbers/+1415', 'x_$()+-/', 'account/ab/cd/ef']) {
      const token = dbToken(name);
      expect(token).not.toMatch(/[/\\:*?"<>|]/);
      expect(nameFromToken(token)).toBe(name);
    }
    expect(dbToken('numbers/+1415')).toBe('numbers%2F%2B1415');
  });

  it('does not take foreign directory names for databases', () => {
    expect(nameFromToken('Stray')).toBeUndefined();
    expect(nameFromToken('%E0%A4%A')).toBeUndefined();
    expect(nameFromToken('numbers%2f%2b1415')).toBeUndefined(); // not our (upper-case) encoding
    expect(nameFromToken('.git')).toBeUndefined();
  });
});
