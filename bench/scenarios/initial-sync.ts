// Scenario 1: initial sync of the main data set vs the physical limit (target of issue #14: 1.3x).
import { initialSyncRun } from '../lib/initial-sync-run.js';
import type { Scenario } from '../lib/context.js';

export const initialSync: Scenario = async (ctx) => {
  const run = await initialSyncRun(ctx);
  const ratio = run.syncMs / run.limit.ms;
  return {
    scenario: 'initial-sync',
    title: `Initial sync: ${run.numbers} numbers, ${run.dbs} databases, ${run.accounts} accounts`,
    rows: [
      {
        metric: 'time to every account doc correct',
        value: run.syncMs / 1000,
        unit: 's',
        baseline: run.limit.ms / 1000,
        baselineLabel: 'physical limit',
        ratio,
        ratioLabel: 'of limit',
        target: '<= 1.3x',
        ok: ratio <= 1.3 && run.verdict.ok,
      },
      // Where the excess over the limit is: reading the numbers (index replay) or writing the accounts.
      ...(run.replayMs === undefined
        ? []
        : [
            {
              metric: 'index replay (every number doc read and indexed)',
              value: run.replayMs / 1000,
              unit: 's',
              baseline: run.limit.readMs / 1000,
              baselineLabel: 'limit: read',
              ratio: run.replayMs / run.limit.readMs,
              ratioLabel: 'of limit',
            },
            {
              metric: 'then every account doc written',
              value: (run.syncMs - run.replayMs) / 1000,
              unit: 's',
              baseline: (run.limit.ms - run.limit.readMs) / 1000,
              baselineLabel: 'limit: write',
              ratio: (run.syncMs - run.replayMs) / (run.limit.ms - run.limit.readMs),
              ratioLabel: 'of limit',
            },
          ]),
      {
        metric: 'numbers synced per second',
        value: run.numbers / (run.syncMs / 1000),
        unit: '/s',
        baseline: run.numbers / (run.limit.ms / 1000),
        baselineLabel: 'physical limit',
      },
      ...(run.daemonCpuMs === undefined
        ? []
        : [
            {
              metric: 'daemon CPU per number synced (start-up included)',
              value: run.daemonCpuMs / run.numbers,
              unit: 'ms',
              baseline: run.daemonCpuMs,
              baselineLabel: 'CPU in all',
            },
          ]),
      {
        metric: 'accounts verified correct',
        value: run.verdict.checked - run.verdict.drifting,
        unit: '',
        baseline: run.accounts,
        baselineLabel: 'accounts',
        ok: run.verdict.ok,
      },
    ],
    details: { ...run, rss: undefined },
  };
};
