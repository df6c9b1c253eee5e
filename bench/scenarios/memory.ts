// Scenario 5: daemon RSS during the initial sync (run as `npm start` runs it), Redis bytes per
// indexed number. A second sync with another --max-old-space-size (e.g. V8's default) shows how
// much of the RSS is garbage V8 leaves uncollected when it is allowed to, and what the cap costs.
import { initialSyncRun } from '../lib/initial-sync-run.js';
import { DAEMON_NODE_ARGS } from '../lib/daemon-process.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

const MB = 1024 * 1024;

export const memory: Scenario = async (ctx) => {
  const run = await initialSyncRun(ctx);
  const cap = ctx.options.memoryHeapCapMb;
  const capped = cap > 0 ? await initialSyncRun(ctx, cap) : undefined;
  const info = run.redis.infoBytesPerNumber;
  const rows: ResultRow[] = [
    {
      metric: `daemon peak RSS (${DAEMON_NODE_ARGS.join(' ')})`,
      value: run.rss.peakBytes / MB,
      unit: 'MB',
      baseline: run.rss.idleBytes / MB,
      baselineLabel: 'just started',
      ratio: run.rss.peakBytes / run.rss.idleBytes,
      ratioLabel: 'of start',
      target: '< 200 MB',
      ok: run.rss.peakBytes < 200 * MB,
    },
  ];
  if (capped) {
    rows.push(
      {
        metric: `daemon peak RSS, --max-old-space-size=${cap}`,
        value: capped.rss.peakBytes / MB,
        unit: 'MB',
        baseline: capped.rss.idleBytes / MB,
        baselineLabel: 'just started',
        ratio: capped.rss.peakBytes / capped.rss.idleBytes,
        ratioLabel: 'of start',
        ok: capped.verdict.ok,
      },
      {
        metric: `sync time (${DAEMON_NODE_ARGS.join(' ')})`,
        value: run.syncMs / 1000,
        unit: 's',
        baseline: run.limit.ms / 1000,
        baselineLabel: 'physical limit',
        ratio: run.syncMs / run.limit.ms,
        ratioLabel: 'of limit',
      },
      {
        metric: `sync time, --max-old-space-size=${cap}`,
        value: capped.syncMs / 1000,
        unit: 's',
        baseline: capped.limit.ms / 1000,
        baselineLabel: 'physical limit',
        ratio: capped.syncMs / capped.limit.ms,
        ratioLabel: 'of limit',
      },
    );
  }
  rows.push({
    metric: 'Redis index bytes per number',
    value: run.redis.indexBytesPerNumber,
    unit: 'B',
    baseline: run.meanNumberDocBytes,
    baselineLabel: 'number doc JSON',
    ratio: run.redis.indexBytesPerNumber / run.meanNumberDocBytes,
    ratioLabel: 'of doc',
  });
  if (info !== undefined)
    rows.push({
      metric: 'Redis used_memory growth per number',
      value: info,
      unit: 'B',
      baseline: run.meanNumberDocBytes,
      baselineLabel: 'number doc JSON',
      ratio: info / run.meanNumberDocBytes,
      ratioLabel: 'of doc',
    });
  return {
    scenario: 'memory',
    title: `Memory during the initial sync of ${run.numbers} numbers`,
    rows,
    details: {
      rss: run.rss,
      redis: run.redis,
      meanNumberDocBytes: run.meanNumberDocBytes,
      numbers: run.numbers,
      capped: capped && { heapCapMb: cap, rss: capped.rss, syncMs: capped.syncMs, limitMs: capped.limit.ms, verdict: capped.verdict },
    },
  };
};
