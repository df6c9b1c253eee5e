import { describe, expect, it } from 'vitest';
import { instanceChange } from '../../../src/sweep/db-instance.js';
import { numberRepair, repairedChanges } from '../../../src/sweep/repair-kinds.js';
import type { IndexedNumber } from '../../../src/index/number-index.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);
const value = (accounts: string[], state = 'in_service'): IndexedNumber => ({ db: 'numbers/+1415', accounts, entry: { state } as never });

describe('instanceChange', () => {
  it('sees a new shard_suffix and a shrinking doc_count + doc_del_count, never a seq', () => {
    expect(instanceChange(undefined, { count: 1, suffix: 'x' })).toBeUndefined();
    expect(instanceChange({ count: 5, suffix: '"a"' }, { count: 9, suffix: '"b"' })).toBe('suffix');
    expect(instanceChange({ count: 5 }, { count: 4 })).toBe('count');
    expect(instanceChange({ count: 5, suffix: '"a"' }, { count: 5, suffix: '"a"' })).toBeUndefined();
    expect(instanceChange({ count: 5, suffix: '"a"' }, { count: 6 })).toBeUndefined(); // suffix no longer readable: ignored
    expect(instanceChange({ suffix: '"a"' }, { count: 0, suffix: '"a"' })).toBeUndefined();
  });
});

describe('numberRepair', () => {
  const ok = { inDb: true, inAccounts: [true] };
  it('classifies what the index got wrong', () => {
    expect(numberRepair({ ...ok, value: value([A]) }, value([A]))).toBeUndefined();
    expect(numberRepair({ inDb: false, inAccounts: [] }, value([A]))).toBe('missing');
    expect(numberRepair({ ...ok, value: value([B]) }, value([A]))).toBe('owner');
    expect(numberRepair({ ...ok, value: value([A], 'reserved') }, value([A]))).toBe('entry');
    expect(numberRepair({ inDb: true, inAccounts: [false], value: value([A]) }, value([A]))).toBe('membership');
    expect(numberRepair({ inDb: false, inAccounts: [true], value: value([A]) }, value([A]))).toBe('membership');
    expect(numberRepair({ ...ok, value: value([A]) }, undefined)).toBe('stale');
    expect(numberRepair({ inDb: false, inAccounts: [] }, undefined)).toBeUndefined();
  });

  it('rewrites a number whose value is right but whose sets are not: remove, then store, in one batch', () => {
    const changes = [
      { number: '+1', value: value([A]) },
      { number: '+2', value: value([A]) },
    ];
    expect(repairedChanges(changes, ['membership', undefined])).toEqual([{ number: '+1' }, changes[0], changes[1]]);
  });
});

describe('DrainScheduler tasks', () => {
  it('merges the reindex requests and the instance check of requests that wait for the same database', async () => {
    const { DrainScheduler } = await import('../../../src/listener/drain-scheduler.js');
    const runs: unknown[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const scheduler = new DrainScheduler({
      concurrency: 1,
      run: async (db, task) => {
        runs.push([db, task]);
        if (db === 'x') await blocked;
      },
    });
    const a = { reason: 'sweep' as const };
    const b = { reason: 'command' as const };
    scheduler.request('x'); // occupies the only slot
    scheduler.request('a', { reindex: [a] });
    scheduler.request('a', { checkInstance: true });
    scheduler.request('a', { reindex: [b] });
    release();
    await scheduler.idle();
    expect(runs).toEqual([
      ['x', { forget: false }],
      ['a', { forget: false, reindex: [a, b], checkInstance: true }],
    ]);
  });
});
