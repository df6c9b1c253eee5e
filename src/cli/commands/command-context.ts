import type { Command } from 'commander';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { configSecrets, type Config } from '../../config/config.js';
import type { OptionKey } from '../../config/options.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { CouchClient } from '../../couch/couch-client.js';
import { CouchError } from '../../couch/couch-error.js';
import { NumberIndex } from '../../index/number-index.js';
import { RebuildQueue } from '../../queue/rebuild-queue.js';
import { resolveCommandServices } from '../../embedded/command-services.js';
import { redactUrl } from '../../util/redact.js';
import { openRedis } from '../../redis/connection.js';
import { addConfigFlags, configFromFlags, warnAboutPasswordFlags } from './daemon-commands.js';

/** The config flags that matter to one-shot commands (no workers, no HTTP endpoint here). */
export const COMMAND_FLAGS: readonly OptionKey[] = ['couchUrl', 'redisUrl', 'dataDir', 'prefix', 'logLevel'];

export function addCommandFlags(command: Command): Command {
  return addConfigFlags(command, COMMAND_FLAGS);
}

export interface CommandContext {
  config: Config;
  /** JSON logs on stderr (default level warn), so stdout carries only the command's output. */
  logger: Logger;
  couch: CouchClient;
  redis: Redis;
  index: NumberIndex;
  queue: RebuildQueue;
  redisDisplay: string;
  out(text: string): void;
  err(text: string): void;
}

/**
 * Runs one command body with connections to CouchDB and Redis (the running daemon's embedded
 * servers when no URL is configured, see resolveCommandServices), closes everything and exits
 * with the code the body returned.
 */
export async function runWithContext(flags: Record<string, unknown>, body: (ctx: CommandContext) => Promise<number>): Promise<void> {
  const config = configFromFlags(flags);
  const explicitLevel = flags.logLevel !== undefined || Boolean(process.env.LOG_LEVEL);
  // Embedded servers' secrets join the list once known: the logger reads it at every line.
  const secrets = configSecrets(config);
  const logger = createLogger({
    level: explicitLevel ? config.logLevel : 'warn',
    secrets,
    destination: pino.destination({ dest: 2, sync: true }),
  });
  warnAboutPasswordFlags(flags, logger);
  const out = (text: string) => void process.stdout.write(text);
  const err = (text: string) => void process.stderr.write(text);
  let code = 1;
  const services = await resolveCommandServices(config, logger);
  secrets.push(...services.secrets);
  const redisDisplay = redactUrl(services.redisUrl);
  // Unreachable at start: give up after a few tries instead of hanging. Once connected (a long
  // --wait), ride out a Redis restart of up to ~30 s.
  let connected = false;
  const redis = openRedis(services, {
    lazyConnect: true,
    maxRetriesPerRequest: 20,
    retryStrategy: (times) => (times > (connected ? 20 : 3) ? null : Math.min(200 * times, 2000)),
  });
  let lastRedisError = '';
  redis.on('error', (e: Error) => {
    lastRedisError = e.message;
    logger.debug({ err: e.message }, 'redis connection error');
  });
  const couch = new CouchClient({ url: services.couchUrl, requestTimeoutMs: config.requestTimeoutMs });
  let queue: RebuildQueue | undefined;
  try {
    await redis.connect().catch((e: Error) => {
      throw new Error(`cannot reach Redis at ${redisDisplay}: ${lastRedisError || e.message}`);
    });
    connected = true;
    queue = new RebuildQueue({ connection: redis, prefix: config.prefix, attempts: config.jobAttempts, backoffMs: config.jobBackoffMs });
    queue.queue.on('error', (e: Error) => logger.debug({ err: e.message }, 'queue error'));
    const ctx: CommandContext = {
      config,
      logger,
      couch,
      redis,
      index: new NumberIndex(redis, config.prefix),
      queue,
      redisDisplay,
      out,
      err,
    };
    code = await body(ctx);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    err(`numbers-sync: ${redactUrl(e instanceof CouchError ? `CouchDB at ${couch.displayUrl}: ${message}` : message)}\n`);
    code = 1;
  } finally {
    await queue?.close().catch(() => undefined);
    redis.disconnect();
    await services.stop();
  }
  await exitAfterFlush(code);
}

/** Exits once stdout has taken everything written so far (keep-alive sockets must not hold the CLI). */
export async function exitAfterFlush(code: number): Promise<never> {
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}
