import { describe, expect, it } from 'vitest';
import { selectDbNames } from '../../src/all-dbs.js';

const names = ['accounts', 'numbers', 'numbers+1', 'numbers/+1415', 'numbers/+1416', 'numbers/+4420', 'numbersx'].sort();

describe('selectDbNames', () => {
  it('returns everything without parameters', () => {
    expect(selectDbNames(names, {})).toEqual(names);
  });

  it('selects an inclusive key range, prefix style', () => {
    expect(selectDbNames(names, { startkey: 'numbers/', endkey: 'numbers/\ufff0' })).toEqual(['numbers/+1415', 'numbers/+1416', 'numbers/+4420']);
    expect(selectDbNames(names, { startkey: 'numbers/+1416', endkey: 'numbers/+4420' })).toEqual(['numbers/+1416', 'numbers/+4420']);
    expect(selectDbNames(names, { startkey: 'numbers/+1416', endkey: 'numbers/+4420', inclusiveEnd: false })).toEqual(['numbers/+1416']);
  });

  it('applies skip then limit', () => {
    const r = { startkey: 'numbers/', endkey: 'numbers/\ufff0' };
    expect(selectDbNames(names, { ...r, limit: 1 })).toEqual(['numbers/+1415']);
    expect(selectDbNames(names, { ...r, skip: 1, limit: 1 })).toEqual(['numbers/+1416']);
    expect(selectDbNames(names, { ...r, skip: 5 })).toEqual([]);
    expect(selectDbNames(names, { limit: 0 })).toEqual([]);
  });

  it('runs from startkey down to endkey when descending', () => {
    expect(selectDbNames(names, { descending: true, startkey: 'numbers/\ufff0', endkey: 'numbers/' })).toEqual([
      'numbers/+4420',
      'numbers/+1416',
      'numbers/+1415',
    ]);
    expect(selectDbNames(names, { descending: true, limit: 2 })).toEqual(['numbersx', 'numbers/+4420']);
    // Ascending-style bounds in a descending query select nothing, as in CouchDB.
    expect(selectDbNames(names, { descending: true, startkey: 'numbers/', endkey: 'numbers/\ufff0' })).toEqual([]);
  });
});
