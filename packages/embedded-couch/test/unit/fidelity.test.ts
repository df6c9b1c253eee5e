import { afterEach, describe, expect, it, vi } from 'vitest';
import { integerSeqs, opaqueSeqs, taggedSeqs } from '../../src/seq-codec.js';
import { COUCHDB3_FIDELITY, fidelityArgs, parseFidelityFlags } from '../../src/fidelity.js';
import { DbUpdatesBatcher } from '../../src/db-updates-batcher.js';
import { DbUpdatesLog } from '../../src/db-updates-log.js';

describe('seq codecs', () => {
  it('couchdb3: "<n>-g1AAAA…", any run decodes any run\'s seqs, a new run spells them anew', () => {
    const run1 = opaqueSeqs('couchdb3');
    const run2 = opaqueSeqs('couchdb3');
    const seq = String(run1.format(42));
    expect(seq).toMatch(/^42-g1AAAA[A-Za-z0-9_-]+$/);
    expect(run1.format(42)).toBe(seq);
    expect(run2.format(42)).not.toBe(seq);
    expect(run2.parse(seq)).toEqual({ n: 42, instance: run1.instance });
    expect(run1.parse(String(run1.format(0)))).toMatchObject({ n: 0 });
  });

  it('scrambled: a random number in front, one position spelled differently each time', () => {
    const codec = opaqueSeqs('scrambled');
    const spellings = new Set(Array.from({ length: 20 }, () => String(codec.format(7))));
    expect(spellings.size).toBeGreaterThan(1);
    for (const s of spellings) expect(codec.parse(s)).toMatchObject({ n: 7 });
  });

  it('rejects what it did not issue', () => {
    const codec = opaqueSeqs('couchdb3');
    const good = String(codec.format(5));
    for (const bad of [
      '5',
      'now',
      'garbage',
      '5-g1AAAA',
      '5-g1AAAAAAAA',
      good.slice(0, 24),
      good.replace(/-g1AAAA(.)/, (_m, c: string) => `-g1AAAA${c === 'A' ? 'B' : 'A'}`),
    ]) {
      expect(codec.parse(bad), bad).toBeUndefined();
    }
    expect(integerSeqs().parse('12')).toEqual({ n: 12 });
    expect(integerSeqs().parse('12-x')).toBeUndefined();
    const tagged = taggedSeqs();
    expect(tagged.parse(String(tagged.format(3)))).toEqual({ n: 3, instance: tagged.instance });
  });
});

describe('fidelity flags', () => {
  it('round-trips through the child process flags; --fidelity couchdb3 is the preset', () => {
    expect(parseFidelityFlags({ fidelity: 'couchdb3' })).toEqual(COUCHDB3_FIDELITY);
    const [, seqs, , delay] = fidelityArgs({ seqs: 'scrambled', dbUpdatesDelayMs: 20 });
    expect(parseFidelityFlags({ seqs, 'db-updates-delay-ms': delay })).toEqual({ seqs: 'scrambled', dbUpdatesDelayMs: 20 });
    expect(parseFidelityFlags({ fidelity: 'couchdb3', 'db-updates-delay-ms': '0' })).toEqual({ seqs: 'couchdb3', dbUpdatesDelayMs: 0 });
    expect(parseFidelityFlags({})).toEqual({});
    expect(() => parseFidelityFlags({ fidelity: 'couchdb2' })).toThrow(/--fidelity/);
    expect(() => parseFidelityFlags({ seqs: 'random' })).toThrow(/--seqs/);
    expect(() => parseFidelityFlags({ 'db-updates-delay-ms': '-1' })).toThrow(/--db-updates-delay-ms/);
  });
});

describe('DbUpdatesBatcher', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('publishes events only when the batch interval has passed, repeated ones once, in order of last occurrence', () => {
    vi.useFakeTimers();
    const log = new DbUpdatesLog();
    const batcher = new DbUpdatesBatcher(log, 500);
    batcher.record('a', 'created');
    batcher.record('b', 'created');
    batcher.record('a', 'updated');
    batcher.record('b', 'created');
    vi.advanceTimersByTime(499);
    expect(log.after(0).results).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log.after(0).results.map((e) => `${e.type}:${e.db_name}`)).toEqual(['created:a', 'updated:a', 'created:b']);
    batcher.record('c', 'deleted');
    batcher.close(); // a clean shutdown publishes what is held
    expect(log.after(0).results.map((e) => e.db_name)).toContain('c');
  });

  it('with delay 0 publishes at once', () => {
    const log = new DbUpdatesLog();
    new DbUpdatesBatcher(log, 0).record('a', 'created');
    expect(log.after(0).results).toHaveLength(1);
  });
});
