import { describe, expect, it } from 'vitest';
import { OptionsError, parseOptions } from '../../../bench/lib/options.js';

describe('bench --couch-mode', () => {
  it('defaults to the CouchDB 3 fidelity mode', () => {
    expect(parseOptions([])?.couchMode).toBe('couchdb3');
  });

  it('accepts plain and couchdb3', () => {
    expect(parseOptions(['--couch-mode', 'plain'])?.couchMode).toBe('plain');
    expect(parseOptions(['--couch-mode', 'couchdb3'])?.couchMode).toBe('couchdb3');
  });

  it('refuses anything else', () => {
    expect(() => parseOptions(['--couch-mode', 'couchdb2'])).toThrow(OptionsError);
  });
});
