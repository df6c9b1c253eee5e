// `numbers-sync run|listen|work` as a child process: its own RSS, its JSON logs parsed.
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChildDaemon } from '../../test/harness/child-daemon.js';

export type Role = 'run' | 'listen' | 'work';

/**
 * Node flags of the daemon as `npm start` runs it (package.json): its state lives in Redis, and
 * without a cap V8 lets garbage grow the heap to a few hundred MB before collecting it.
 */
export const DAEMON_NODE_ARGS: readonly string[] = ['--max-old-space-size=128'];

export interface DaemonProcessOptions {
  role: Role;
  couchUrl: string;
  redisUrl: string;
  prefix: string;
  concurrency?: number;
  /** Extra NUMBERS_SYNC_* variables. */
  env?: Record<string, string>;
  logLevel?: 'info' | 'debug';
  /** Node flags of the daemon process (default: DAEMON_NODE_ARGS). */
  nodeArgs?: readonly string[];
}

export type LogRecord = Record<string, unknown> & { msg?: string; time?: number };

export class DaemonProcess {
  private readonly proc: ChildDaemon;

  constructor(opts: DaemonProcessOptions) {
    // e.g. BENCH_DAEMON_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the daemon only.
    const nodeArgs = [...(opts.nodeArgs ?? DAEMON_NODE_ARGS), ...(process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean)];
    const env = {
      COUCHDB_URL: opts.couchUrl,
      REDIS_URL: opts.redisUrl,
      NUMBERS_SYNC_PREFIX: opts.prefix,
      ...(opts.concurrency ? { NUMBERS_SYNC_CONCURRENCY: String(opts.concurrency) } : {}),
      LOG_LEVEL: opts.logLevel ?? 'info',
      ...opts.env,
    };
    this.proc = new ChildDaemon([opts.role], env, undefined, nodeArgs);
  }

  get child(): ChildProcess {
    return this.proc.child;
  }

  /** Its JSON log records so far, in order (the same objects on every read). */
  get records(): LogRecord[] {
    return this.proc.parsed as LogRecord[];
  }

  private get stderr(): string {
    return this.proc.stderr.join('').slice(-4000);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  find(msg: string): LogRecord | undefined {
    return this.records.find((r) => r.msg === msg);
  }

  /** Waits for a log line with this message; fails early if the process exits. */
  async waitForLog(msg: string, timeoutMs = 120_000): Promise<LogRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.find(msg);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`numbers-sync exited before logging '${msg}': ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`numbers-sync did not log '${msg}' within ${timeoutMs} ms: ${this.stderr}`);
      await sleep(20);
    }
  }

  /** Errors and warnings it logged (reported with the results). */
  problems(): LogRecord[] {
    return this.records.filter((r) => typeof r.level === 'number' && r.level >= 40);
  }

  async stop(): Promise<void> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.proc.kill('SIGTERM');
    clearTimeout(timer);
  }
}
