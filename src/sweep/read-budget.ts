import { abortableSleep } from '../util/abortable-sleep.js';

/**
 * Paces reads to at most `perSecond` on average: after reading n documents the caller waits
 * until n / perSecond seconds have passed since the previous budget ran out. 0 = unbounded.
 */
export class ReadBudget {
  private next = 0;

  constructor(
    private readonly perSecond: number,
    private readonly signal?: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {}

  async spend(reads: number): Promise<void> {
    if (this.perSecond <= 0 || reads <= 0) return;
    const now = this.now();
    this.next = Math.max(this.next, now) + (reads * 1000) / this.perSecond;
    await abortableSleep(this.next - now, this.signal);
  }
}
