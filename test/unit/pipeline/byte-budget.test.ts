import { describe, expect, it } from 'vitest';
import { ByteBudget } from '../../../src/util/byte-budget.js';

describe('ByteBudget', () => {
  it('grants up to its total, first come first served, and more as bytes are released', async () => {
    const budget = new ByteBudget(10);
    const a = await budget.acquire(6);
    const order: string[] = [];
    const b = budget.acquire(6).then((release) => {
      order.push('b');
      return release;
    });
    const c = budget.acquire(2).then((release) => {
      order.push('c');
      return release;
    });
    await new Promise((r) => setTimeout(r, 10));
    // c would fit, but b came first: no overtaking, so a big page cannot starve.
    expect(order).toEqual([]);
    expect(budget.inUse).toBe(6);
    a();
    (await b)();
    (await c)();
    expect(order).toEqual(['b', 'c']);
    expect(budget.inUse).toBe(0);
  });

  it('grants a request larger than the total when nothing else is held', async () => {
    const budget = new ByteBudget(10);
    const release = await budget.acquire(50);
    expect(budget.inUse).toBe(50);
    release();
    release();
    expect(budget.inUse).toBe(0);
  });

  it('gives up a waiting request when its signal aborts', async () => {
    const budget = new ByteBudget(10);
    const held = await budget.acquire(10);
    const controller = new AbortController();
    const waiting = budget.acquire(5, controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    held();
    expect(budget.inUse).toBe(0);
    (await budget.acquire(10))();
  });
});
