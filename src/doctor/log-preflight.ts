// The preflight checks at daemon start: one structured log line per check. Informational
// only: it never blocks or fails the start (the eviction policy is enforced by Daemon.start).
import type { Logger } from '../log/logger.js';
import { runPreflight, type PreflightTargets } from './run-checks.js';
import type { CheckStatus } from './verdicts.js';

const LEVEL: Record<CheckStatus, 'info' | 'warn' | 'error'> = { ok: 'info', skip: 'info', warn: 'warn', fail: 'error' };

export async function logPreflight(targets: PreflightTargets, logger: Logger): Promise<void> {
  try {
    for (const r of await runPreflight(targets)) logger[LEVEL[r.status]]({ check: r.check, status: r.status }, `preflight ${r.check}: ${r.message}`);
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'preflight checks could not run');
  }
}
