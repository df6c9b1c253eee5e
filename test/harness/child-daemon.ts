import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const BIN = fileURLToPath(new URL('../../bin/numbers-sync.js', import.meta.url));

/**
 * `node [nodeArgs] bin/numbers-sync.js <args>`: the one way tests (ChildDaemon, runCli) and the
 * bench (bench/lib/daemon-process.ts) start the CLI, i.e. the compiled dist/ that ships.
 */
export function spawnNumbersSync(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  opts: { cwd?: string; nodeArgs?: readonly string[] } = {},
): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `numbers-sync <args>` as a real child process, with its JSON log lines collected (tests and bench/lib/daemon-process.ts). */
export class ChildDaemon {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  /** The JSON log records of `lines`, parsed as they arrive. */
  readonly parsed: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: Record<string, string>, cwd?: string, nodeArgs: readonly string[] = []) {
    this.child = spawnNumbersSync(args, { ...process.env, LOG_LEVEL: 'debug', NUMBERS_SYNC_HTTP_PORT: '0', ...env }, { cwd, nodeArgs });
    let buffer = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts.filter(Boolean)) {
        this.lines.push(line);
        try {
          this.parsed.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log record
        }
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.stderr.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Parsed JSON log records (non-JSON lines are skipped). */
  records(): Array<Record<string, unknown>> {
    return [...this.parsed];
  }

  async waitForLog(match: (record: Record<string, unknown>) => boolean, what: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return waitFor<Record<string, unknown> | false>(() => this.records().find(match) ?? false, {
      what: `${what}; stderr: ${this.stderr.join('').slice(-2000)}`,
      timeoutMs,
    }) as Promise<Record<string, unknown>>;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
