import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { DrainScheduler, type DrainTask } from '../../../src/listener/drain-scheduler.js';

describe('DrainScheduler', () => {
  it('bounds concurrency and never runs one database twice at once', async () => {
    let running = 0;
    let peak = 0;
    const active = new Set<string>();
    const runs: string[] = [];
    const scheduler = new DrainScheduler({
      concurrency: 2,
      run: async (db) => {
        expect(active.has(db)).toBe(false);
        active.add(db);
        peak = Math.max(peak, ++running);
        await sleep(10);
        runs.push(db);
        running--;
        active.delete(db);
      },
    });
    for (const db of ['a', 'b', 'c', 'd', 'a', 'a']) scheduler.request(db);
    await scheduler.idle();
    expect(peak).toBe(2);
    // 'a' was already running when re-requested (twice): exactly one more run, coalesced.
    expect(runs.sort()).toEqual(['a', 'a', 'b', 'c', 'd']);
  });

  it('runs a database again when it is requested while running', async () => {
    const runs: DrainTask[] = [];
    let scheduler!: DrainScheduler;
    scheduler = new DrainScheduler({
      concurrency: 1,
      run: async (_db, task) => {
        runs.push(task);
        if (runs.length === 1) scheduler.request('a', { forget: true });
        await sleep(5);
      },
    });
    scheduler.request('a');
    await scheduler.idle();
    expect(runs).toEqual([{ forget: false }, { forget: true }]);
  });

  it('stop aborts running drains and drops pending ones', async () => {
    let aborted = false;
    const scheduler = new DrainScheduler({
      concurrency: 1,
      run: async (_db, _task, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        aborted = true;
      },
    });
    scheduler.request('a');
    scheduler.request('b');
    await scheduler.stop();
    expect(aborted).toBe(true);
    expect(scheduler.size).toEqual({ pending: 0, running: 0 });
  });

  it('answers the reindex requests it drops when stopped, and those that arrive after', async () => {
    const scheduler = new DrainScheduler({
      concurrency: 1,
      run: async (_db, _task, signal) => {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      },
    });
    const told: unknown[] = [];
    scheduler.request('a');
    scheduler.request('b', { reindex: [{ reason: 'command', done: (o) => told.push(o) }] });
    await scheduler.stop();
    scheduler.request('c', { reindex: [{ reason: 'sweep', done: (o) => told.push(o) }] });
    expect(told).toHaveLength(2);
    for (const outcome of told) expect(outcome).toBeInstanceOf(Error);
  });
});
