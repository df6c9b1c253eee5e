import { describe, expect, it } from 'vitest';
import { ReadBudget } from '../../../src/sweep/read-budget.js';
import { reindexLine, reindexSummary } from '../../../src/cli/format/reindex-format.js';

describe('ReadBudget', () => {
  it('does not wait when unbounded', async () => {
    const budget = new ReadBudget(0);
    await budget.spend(1_000_000); // would take forever if it paced
  });

  it('paces by what was read: the wait grows with the debt, not with the calls', async () => {
    let now = 0;
    const controller = new AbortController();
    controller.abort(); // sleeps return at once; only the schedule is observed
    const budget = new ReadBudget(100, controller.signal, () => now);
    const next = () => (budget as unknown as { next: number }).next;
    await budget.spend(50);
    expect(next()).toBe(500);
    await budget.spend(50);
    expect(next()).toBe(1000);
    now = 5000; // idle time is not saved up as credit
    await budget.spend(10);
    expect(next()).toBe(5100);
  });
});

describe('reindex output', () => {
  it('names each repair kind, or says the index was correct', () => {
    expect(reindexLine({ db: 'numbers/+1415', read: 3, repairs: { owner: 1, stale: 2 }, ms: 120 })).toBe(
      'numbers/+1415  read 3 rows: repaired owner 1, stale 2 (0.1 s)',
    );
    expect(reindexLine({ db: 'numbers/+1212', read: 1, repairs: {}, ms: 0 })).toBe('numbers/+1212  read 1 row: index correct (0.0 s)');
    expect(reindexLine({ db: 'numbers/+1999', error: 'Database does not exist.' })).toBe('numbers/+1999  failed: Database does not exist.');
    expect(
      reindexSummary([
        { db: 'a', read: 1, repairs: { owner: 1 }, ms: 1 },
        { db: 'b', error: 'x' },
      ]),
    ).toBe('reindex: 2 numbers databases, 1 repaired, 1 failed');
  });
});
