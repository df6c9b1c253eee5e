import type { DestinationStream } from 'pino';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { waitFor } from './wait.js';

export type LogRecord = Record<string, unknown>;

/**
 * A real daemon logger (the production one, with its credential scrubbing) whose JSON lines
 * are kept in memory, so in-process tests can assert on what an operator would read.
 */
export class LogCapture {
  readonly lines: string[] = [];
  readonly logger: Logger;

  constructor(opts: { secrets?: string[]; level?: 'debug' | 'info' } = {}) {
    const destination: DestinationStream = { write: (line: string) => void this.lines.push(line) };
    this.logger = createLogger({ level: opts.level ?? 'debug', secrets: opts.secrets, destination });
  }

  /** Position to search from, e.g. taken just before a fault. */
  mark(): number {
    return this.lines.length;
  }

  records(from = 0): LogRecord[] {
    return this.lines.slice(from).flatMap((line) => {
      try {
        return [JSON.parse(line) as LogRecord];
      } catch {
        return [];
      }
    });
  }

  find(match: (r: LogRecord) => boolean, from = 0): LogRecord | undefined {
    return this.records(from).find(match);
  }

  waitForLog(match: (r: LogRecord) => boolean, what: string, opts: { from?: number; timeoutMs?: number } = {}): Promise<LogRecord> {
    return waitFor<LogRecord | false>(() => this.find(match, opts.from) ?? false, { what, timeoutMs: opts.timeoutMs ?? 30_000 }) as Promise<LogRecord>;
  }
}
