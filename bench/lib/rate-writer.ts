// An open-loop writer: updates random numbers at a fixed rate whatever the server's latency
// (a closed loop would slow down with the system under test and hide its lag).
import { setTimeout as sleep } from 'node:timers/promises';
import type { CouchClient } from '../../src/couch/couch-client.js';
import { numberDbName } from '../../src/rules/index.js';
import { T0, type NumberDoc } from './dataset.js';
import type { Random } from '../../test/harness/random.js';
import type { AccountObserver, Expectation } from './account-observer.js';

export interface RateWriterOptions {
  couch: CouchClient;
  random: Random;
  /** number -> its current doc (with _rev); updated in place. */
  docs: Map<string, NumberDoc>;
  owners: Map<string, string>;
  observer: AccountObserver;
  rate: number;
  durationMs: number;
  maxInFlight?: number;
}

export interface RateWriterResult {
  written: number;
  /** Writes not issued because maxInFlight requests were already outstanding. */
  skipped: number;
  failed: number;
  elapsedMs: number;
}

export async function runRateWriter(o: RateWriterOptions): Promise<RateWriterResult> {
  const numbers = [...o.docs.keys()];
  const inFlight = new Set<string>();
  const maxInFlight = o.maxInFlight ?? 64;
  const requests = new Set<Promise<void>>();
  let version = 1_000_000;
  let issued = 0;
  let written = 0;
  let skipped = 0;
  let failed = 0;

  const write = async (number: string) => {
    const doc = o.docs.get(number)!;
    const updated = T0 + ++version;
    const expectation: Expectation = { number, updated };
    o.observer.expect(o.owners.get(number)!, expectation);
    try {
      const res = await o.couch.putDoc(numberDbName(number), { ...doc, pvt_modified: updated });
      expectation.writtenAt = performance.now();
      o.docs.set(number, { ...doc, _rev: res.rev, pvt_modified: updated });
      written++;
    } catch {
      failed++;
    }
  };

  const start = performance.now();
  while (performance.now() - start < o.durationMs) {
    const due = Math.floor((o.rate * (performance.now() - start)) / 1000) - issued;
    for (let i = 0; i < due; i++) {
      issued++;
      if (requests.size >= maxInFlight) {
        skipped++;
        continue;
      }
      // A number with a write in flight would conflict with itself: pick another.
      let number = numbers[o.random.int(numbers.length)]!;
      for (let tries = 0; inFlight.has(number) && tries < 10; tries++) number = numbers[o.random.int(numbers.length)]!;
      if (inFlight.has(number)) {
        skipped++;
        continue;
      }
      inFlight.add(number);
      const request = write(number).finally(() => {
        inFlight.delete(number);
        requests.delete(request);
      });
      requests.add(request);
    }
    await sleep(2);
  }
  await Promise.all(requests);
  return { written, skipped, failed, elapsedMs: performance.now() - start };
}
