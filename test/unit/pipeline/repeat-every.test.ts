import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { repeatEvery } from '../../../src/util/repeat-every.js';

describe('repeatEvery', () => {
  it('never runs the task twice at once, reports failures, and stops when its signal aborts', async () => {
    const controller = new AbortController();
    let running = 0;
    let peak = 0;
    let runs = 0;
    const errors: unknown[] = [];
    repeatEvery(
      5,
      controller.signal,
      async () => {
        runs++;
        peak = Math.max(peak, ++running);
        await sleep(30);
        running--;
        if (runs === 1) throw new Error('first run fails');
      },
      (err) => errors.push(err),
    );
    while (runs < 3) await sleep(10);
    controller.abort();
    const after = runs;
    await sleep(60);
    expect(peak).toBe(1);
    expect(errors).toHaveLength(1);
    expect(runs).toBe(after);
  });
});
