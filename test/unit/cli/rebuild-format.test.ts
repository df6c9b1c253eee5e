import { describe, expect, it } from 'vitest';
import { describeResult, needsAttention, renderRebuildResults, tally, waitExitCode } from '../../../src/cli/format/rebuild-format.js';
import type { RebuildResult } from '../../../src/queue/rebuild-waiter.js';

const A = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const results: RebuildResult[] = [
  { accountId: A, state: 'completed', jobId: 'j1', outcome: 'written' },
  { accountId: 'b'.repeat(32), state: 'completed', jobId: 'j2', outcome: 'skipped_missing_db' },
  { accountId: 'c'.repeat(32), state: 'failed', jobId: 'j3', failedReason: 'boom', attemptsMade: 8 },
  { accountId: 'd'.repeat(32), state: 'pending', jobId: 'j4' },
  { accountId: 'e'.repeat(32), state: 'unknown', jobId: 'j5' },
];

describe('rebuild results', () => {
  it('tallies outcomes', () => {
    expect(tally(results)).toEqual({ written: 1, unchanged: 0, skipped_missing_db: 1, failed: 1, pending: 1, unknown: 1 });
  });

  it('describes each result', () => {
    expect(results.map(describeResult)).toEqual([
      'written (job j1)',
      'skipped: the account database does not exist (job j2)',
      'failed after 8 attempts: boom (job j3)',
      'not finished when the wait timed out (job j4)',
      'finished; outcome no longer recorded (job j5)',
    ]);
  });

  it('renders lines and the tally; only failures and stragglers when filtered', () => {
    const all = renderRebuildResults('rebuild', results.slice(0, 1));
    expect(all).toBe(`${A}  written (job j1)\nrebuild: 1 account: 1 written, 0 unchanged, 0 skipped (no database), 0 failed\n`);
    const filtered = renderRebuildResults('reconcile', results, needsAttention).split('\n');
    expect(filtered).toHaveLength(4);
    expect(filtered[2]).toBe(
      'reconcile: 5 accounts: 1 written, 0 unchanged, 1 skipped (no database), 1 failed, 1 still pending, 1 finished (outcome no longer recorded)',
    );
  });

  it('exits 0 only when nothing failed or is pending', () => {
    expect(waitExitCode([results[0]!, results[1]!, results[4]!])).toBe(0);
    expect(waitExitCode([results[0]!, results[2]!])).toBe(1);
    expect(waitExitCode([results[3]!])).toBe(1);
  });
});
