import { describe, expect, it } from 'vitest';
import { DbUpdatesLog } from '../../src/db-updates-log.js';

describe('DbUpdatesLog', () => {
  it('hands out opaque string seqs and returns events after a position', () => {
    const log = new DbUpdatesLog();
    log.record('a', 'created');
    log.record('a', 'updated');
    const { results, lastN } = log.after(0);
    expect(results.map((e) => [e.db_name, e.type])).toEqual([
      ['a', 'created'],
      ['a', 'updated'],
    ]);
    expect(results[0]!.seq).toMatch(/^1-[A-Za-z0-9_-]+$/);
    expect(lastN).toBe(2);
    expect(log.after(1).results.map((e) => e.type)).toEqual(['updated']);
    expect(log.after(2).results).toEqual([]);
    expect(log.lastSeq()).toBe(log.format(2));
  });

  it('coalesces repeated events of one database to their latest position', () => {
    const log = new DbUpdatesLog();
    log.record('a', 'created');
    log.record('a', 'updated');
    log.record('b', 'created');
    log.record('a', 'updated');
    expect(log.after(0).results.map((e) => `${e.type}:${e.db_name}`)).toEqual(['created:a', 'created:b', 'updated:a']);
    expect(log.size).toBe(3);
  });

  it('is bounded: the oldest entries go first', () => {
    const log = new DbUpdatesLog(100);
    for (let i = 0; i < 1000; i++) log.record(`db${i}`, 'created');
    expect(log.size).toBe(100);
    const { results } = log.after(0);
    expect(results).toHaveLength(100);
    expect(results[0]!.db_name).toBe('db900');
    // A position older than what is retained yields everything retained.
    expect(log.after(5).results).toHaveLength(100);
  });

  it('parses since: 0, now, its own seqs, seqs of another run, garbage', () => {
    const log = new DbUpdatesLog();
    log.record('a', 'created');
    log.record('b', 'created');
    expect(log.parseSince(undefined)).toBe(0);
    expect(log.parseSince('0')).toBe(0);
    expect(log.parseSince('now')).toBe(2);
    expect(log.parseSince(log.format(1))).toBe(1);
    expect(log.parseSince('1')).toBe(1);
    expect(log.parseSince('999-otherrun')).toBe(0);
    expect(log.parseSince('999')).toBe(2);
    expect(() => log.parseSince('garbage')).toThrow(/Malformed/);
  });

  it('wakes waiters on the next event, and on abort', async () => {
    const log = new DbUpdatesLog();
    const waiting = log.nextEvent(new AbortController().signal);
    log.record('a', 'created');
    await waiting;
    const abort = new AbortController();
    const aborted = log.nextEvent(abort.signal);
    abort.abort();
    await aborted;
    expect(log.hasAfter(0)).toBe(true);
    expect(log.hasAfter(1)).toBe(false);
  });
});

describe('DbUpdatesLog under churn', () => {
  it('keeps returning exactly the live entries after a position while replaced ones are compacted away', () => {
    const log = new DbUpdatesLog(50);
    const expected = new Map<string, number>(); // key -> n of its live entry
    for (let i = 1; i <= 20_000; i++) {
      const db = `db${(i * 7919) % 80}`;
      log.record(db, 'updated');
      expected.delete(`updated:${db}`);
      expected.set(`updated:${db}`, i);
      if (expected.size > 50) expected.delete(expected.keys().next().value!);
      if (i % 997 === 0) {
        const since = i - 30;
        const want = [...expected].filter(([, n]) => n > since).map(([key]) => key);
        expect(log.after(since).results.map((e) => `${e.type}:${e.db_name}`)).toEqual(want);
        expect(log.after(0).results).toHaveLength(50);
      }
    }
    expect(log.size).toBe(50);
    expect(log.after(20_000)).toEqual({ results: [], lastN: 20_000 });
  });
});
