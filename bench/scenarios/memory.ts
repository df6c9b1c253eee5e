// Scenario 5: daemon RSS during the initial sync, Redis bytes per indexed number. A second
// sync with the daemon's old space capped shows how much of the RSS is live data and how much
// is garbage V8 has not collected yet (it grows the heap freely when memory is plentiful).
import { initialSyncRun } from '../lib/initial-sync-run.js';
import type { Scenario } from '../lib/context.js';
import type { ResultRow } from '../lib/report.js';

const MB = 1024 * 1024;

export const memory: Scenario = async (ctx) => {
  const run = await initialSyncRun(ctx);
  const cap = ctx.options.memoryHeapCapMb;
  const capped = cap > 0 ? await initialSyncRun(ctx, cap) : undefined;
  const info = run.redis.infoBytesPerNumber;
  const rows: ResultRow[] = [
    { metric: 'daemon peak RSS', value: run.rss.peakBytes / MB, unit: 'MB', baseline: run.rss.idleBytes / MB, baselineLabel: 'just started', ratio: run.rss.peakBytes / run.rss.idleBytes, ratioLabel: 'of start', target: '< 200 MB', ok: run.rss.peakBytes < 200 * MB },
  ];
  if (capped) {
    rows.push(
      { metric: `daemon peak RSS, --max-old-space-size=${cap}`, value: capped.rss.peakBytes / MB, unit: 'MB', baseline: capped.rss.idleBytes / MB, baselineLabel: 'just started', ratio: capped.rss.peakBytes / capped.rss.idleBytes, ratioLabel: 'of start', target: '< 200 MB', ok: capped.rss.peakBytes < 200 * MB && capped.verdict.ok },
      { metric: `sync time, --max-old-space-size=${cap}`, value: capped.syncMs / 1000, unit: 's', baseline: capped.limit.ms / 1000, baselineLabel: 'physical limit', ratio: capped.syncMs / capped.limit.ms, ratioLabel: 'of limit' },
    );
  }
  rows.push({ metric: 'Redis index bytes per number', value: run.redis.indexBytesPerNumber, unit: 'B', baseline: run.meanNumberDocBytes, baselineLabel: 'number doc JSON', ratio: run.redis.indexBytesPerNumber / run.meanNumberDocBytes, ratioLabel: 'of doc' });
  if (info !== undefined) rows.push({ metric: 'Redis used_memory growth per number', value: info, unit: 'B', baseline: run.meanNumberDocBytes, baselineLabel: 'number doc JSON', ratio: info / run.meanNumberDocBytes, ratioLabel: 'of doc' });
  return {
    scenario: 'memory',
    title: `Memory during the initial sync of ${run.numbers} numbers`,
    rows,
    details: { rss: run.rss, redis: run.redis, meanNumberDocBytes: run.meanNumberDocBytes, numbers: run.numbers, capped: capped && { heapCapMb: cap, rss: capped.rss, syncMs: capped.syncMs, limitMs: capped.limit.ms, verdict: capped.verdict } },
  };
};
