import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { redactUrl } from '../util/redact.js';
import { redisChildEnv, type RedisTarget } from '../redis/connection.js';

// The project's own bin, from src/audit/ (sources: tests, npm run dev) or dist/src/audit/ (compiled).
const BIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../bin/numbers-sync.js' : '../../../bin/numbers-sync.js', import.meta.url));

export interface VerifyOutcome {
  /** Account docs compared. */
  checked: number;
  /** Accounts whose doc differs from the rules. */
  drifted: string[];
}

export interface VerifyChildOptions extends RedisTarget {
  couchUrl: string;
  prefix: string;
  signal?: AbortSignal;
}

/**
 * Runs `numbers-sync verify --json` as a child process and reads its report. A child, because
 * the audit holds every number doc in memory: it must not share the daemon's capped heap
 * (--max-old-space-size=128), and a failure of it cannot take the daemon down. The URLs go
 * through the environment, never the command line (visible in `ps`).
 */
export function runVerifyChild(opts: VerifyChildOptions): Promise<VerifyOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'verify', '--json'], {
      env: {
        ...process.env,
        COUCHDB_URL: opts.couchUrl,
        COUCHDB_URL_FILE: undefined,
        ...redisChildEnv(opts),
        NUMBERS_SYNC_PREFIX: opts.prefix,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: opts.signal,
    });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      // Exit 1 is both "drift found" and "failed": the JSON report tells them apart.
      const report = parseVerifyReport(Buffer.concat(stdout).toString());
      if (report && (code === 0 || code === 1)) return resolve(report);
      reject(new Error(`verify exited with ${signal ?? code}: ${redactUrl(stderr.trim().split('\n').at(-1) ?? '')}`));
    });
  });
}

/** The checked count and drifted accounts of a `verify --json` report; undefined if it is not one. */
export function parseVerifyReport(text: string): VerifyOutcome | undefined {
  try {
    const report = JSON.parse(text) as { checked?: unknown; accounts?: Array<{ accountId?: unknown }> };
    if (typeof report.checked !== 'number' || !Array.isArray(report.accounts)) return undefined;
    return { checked: report.checked, drifted: report.accounts.map((a) => String(a.accountId)) };
  } catch {
    return undefined;
  }
}
