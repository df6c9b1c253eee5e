import type { DaemonProcess } from './daemon-process.js';
import type { QueueProbe } from './queue-probe.js';

/**
 * Waits until a starting daemon has replayed every numbers database and its rebuild queue is
 * empty; resolves with performance.now() of that moment.
 */
export async function waitInitialSync(daemon: DaemonProcess, probe: QueueProbe, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  await daemon.waitForLog('index replay complete; reconciling every account', timeoutMs);
  return probe.waitEmpty(Math.max(1000, deadline - Date.now()));
}
