import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DocCacheSeal, docCacheKey } from '../../../src/rebuild/doc-cache.js';

const EPOCH = 'e1';
const A = 'aaaa0000aaaa0000aaaa0000aaaa0000';
const B = 'bbbb0000bbbb0000bbbb0000bbbb0000';
const DOC = { _id: 'phone_numbers', _rev: '3-abc', pvt_type: 'phone_numbers', '+14155550100': { state: 'in_service' } };

describe('DocCacheSeal', () => {
  const seal = new DocCacheSeal(randomBytes(32));

  it('opens what it sealed', () => {
    const raw = seal.seal(EPOCH, A, DOC)!;
    expect(raw.startsWith('nsc1 3-abc ')).toBe(true);
    expect(seal.open(EPOCH, A, raw)).toEqual({ seenRev: '3-abc', doc: DOC });
  });

  it('rejects an edited doc that keeps its rev (forged)', () => {
    const raw = seal.seal(EPOCH, A, DOC)!;
    const forged = raw.replace('"pvt_type":"phone_numbers"', '"pvt_type":"phone_numbers","pvt_evil":1');
    expect(seal.open(EPOCH, A, forged)).toEqual({ seenRev: '3-abc', rejected: 'forged' });
  });

  it('binds an entry to its account and epoch', () => {
    const raw = seal.seal(EPOCH, A, DOC)!;
    expect(seal.open(EPOCH, B, raw).rejected).toBe('forged');
    expect(seal.open('e2', A, raw).rejected).toBe('forged');
  });

  it('tells another key and malformed entries apart', () => {
    const other = new DocCacheSeal(randomBytes(32)).seal(EPOCH, A, DOC)!;
    expect(seal.open(EPOCH, A, other)).toEqual({ seenRev: '3-abc', rejected: 'other_key' });
    expect(seal.open(EPOCH, A, JSON.stringify(DOC)).rejected).toBe('malformed');
    expect(seal.open(EPOCH, A, 'nsc1 3-abc x y').rejected).toBe('malformed');
  });

  it('caches nothing without a usable rev', () => {
    expect(seal.seal(EPOCH, A, { ...DOC, _rev: undefined })).toBeUndefined();
    expect(seal.seal(EPOCH, A, { ...DOC, _rev: '3 abc' })).toBeUndefined();
  });

  it('derives one key per set of credentials, and a random one without', () => {
    expect(docCacheKey('http://admin:pw@127.0.0.1:5984')).toEqual(docCacheKey('http://admin:pw@couch.example:5984'));
    expect(docCacheKey('http://admin:pw@127.0.0.1:5984')).not.toEqual(docCacheKey('http://admin:pw2@127.0.0.1:5984'));
    expect(docCacheKey('http://127.0.0.1:5984')).not.toEqual(docCacheKey('http://127.0.0.1:5984'));
  });
});
