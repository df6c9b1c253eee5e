/**
 * A counting semaphore over bytes, first come first served: parallel readers reserve what they
 * may hold before reading, so together they never hold more than `total`. A request larger
 * than `total` is granted alone (when nothing else is held), so it cannot wait forever.
 */
export class ByteBudget {
  private held = 0;
  private readonly waiters: Array<{ bytes: number; grant: () => void }> = [];

  constructor(readonly total: number) {}

  /** Resolves with a release function once `bytes` are reserved; rejects when `signal` aborts first. */
  acquire(bytes: number, signal?: AbortSignal): Promise<() => void> {
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.held -= bytes;
        this.pump();
      };
      const waiter = {
        bytes,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.held += bytes;
          resolve(release);
        },
      };
      const onAbort = () => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        this.pump();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  get inUse(): number {
    return this.held;
  }

  private pump(): void {
    while (this.waiters.length > 0) {
      const next = this.waiters[0]!;
      if (this.held > 0 && this.held + next.bytes > this.total) return;
      this.waiters.shift();
      next.grant();
    }
  }
}
