import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';
import { redactSecrets } from '../util/redact.js';

export type { Logger };

export interface LoggerOptions {
  level: LevelWithSilent;
  /** Literal secrets (passwords) that must never appear in a log line. */
  secrets?: readonly string[];
  destination?: DestinationStream;
  name?: string;
}

/**
 * Structured JSON logs. Credentials are stripped twice: known secret fields are redacted by
 * path, and every serialised line is scrubbed of URL userinfo and configured secrets, so an
 * error message that embeds a connection URL cannot leak it.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets ?? [];
  const inner = opts.destination ?? pino.destination({ dest: 1, sync: false });
  const scrubbing: DestinationStream = {
    write(line: string) {
      inner.write(redactSecrets(line, secrets));
    },
  };
  return pino(
    {
      name: opts.name ?? 'numbers-sync',
      level: opts.level,
      redact: { paths: ['password', '*.password', 'authorization', '*.authorization', 'headers.Authorization'], censor: '***' },
      serializers: { err: pino.stdSerializers.err },
    },
    scrubbing,
  );
}
