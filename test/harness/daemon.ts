import { pino } from 'pino';
import { Daemon, type DaemonOptions, type DaemonSettings } from '../../src/daemon.js';
import type { Logger } from '../../src/log/logger.js';

/** Settings tuned for tests: short intervals so faults and take-overs resolve in seconds. */
export function testSettings(couchUrl: string, redisUrl: string, prefix: string, overrides: Partial<DaemonSettings> = {}): DaemonSettings {
  return {
    couchUrl,
    redisUrl,
    prefix,
    concurrency: 4,
    drainConcurrency: 4,
    batchSize: 200,
    rescanIntervalMs: 2000,
    pollIntervalMs: 250,
    feedTimeoutMs: 1000,
    requestTimeoutMs: 10_000,
    leaseTtlMs: 2000,
    jobAttempts: 8,
    jobBackoffMs: 100,
    shutdownTimeoutMs: 5000,
    ...overrides,
  };
}

export function testLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

export function startTestDaemon(settings: DaemonSettings, extra: Partial<Omit<DaemonOptions, 'settings'>> = {}): Daemon {
  return new Daemon({
    settings,
    roles: { listen: true, work: true },
    logger: testLogger(),
    onFatal: (err) => {
      throw err;
    },
    ...extra,
  }).start();
}
