import type { Daemon } from '../../src/daemon.js';

/** Anti-entropy sweeps the daemon has completed (the count of its sweep duration histogram). */
export async function sweeps(daemon: Daemon): Promise<number> {
  return (await daemon.metrics.sweepDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
}
