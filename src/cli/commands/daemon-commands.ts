import type { Command } from 'commander';
import { configSecrets, loadConfig, type Config } from '../../config/config.js';
import { OPTIONS, type OptionKey } from '../../config/options.js';
import { createLogger, type Logger } from '../../log/logger.js';
import { Daemon } from '../../daemon.js';
import { Metrics } from '../../metrics/metrics.js';
import { startOpsEndpoint, type OpsEndpoint } from '../../http/ops-endpoint.js';
import { resolveServices } from '../../embedded/services.js';
import { logPreflight } from '../../doctor/log-preflight.js';

type Roles = { listen: boolean; work: boolean };

/** Flags shared by the daemon commands; each maps to one config option (env var in the help). */
const FLAGS: Array<[OptionKey, string]> = [
  ['couchUrl', '--couch-url <url>'],
  ['redisUrl', '--redis-url <url>'],
  ['dataDir', '--data-dir <dir>'],
  ['prefix', '--prefix <prefix>'],
  ['concurrency', '--concurrency <n>'],
  ['drainConcurrency', '--drain-concurrency <n>'],
  ['httpHost', '--http-host <host>'],
  ['httpPort', '--http-port <port>'],
  ['logLevel', '--log-level <level>'],
  ['allowEviction', '--allow-eviction'],
];

/** Adds the config flags (only those of `only` when given). */
export function addConfigFlags(command: Command, only?: readonly OptionKey[]): Command {
  for (const [key, flag] of FLAGS) {
    if (!only || only.includes(key)) command.option(flag, `${OPTIONS[key].help} [env ${OPTIONS[key].env}]`);
  }
  return command;
}

/**
 * Logs one warning per URL flag that carries a password: the command line of a process is
 * visible to every local user (ps). The flag is named, the value never shown.
 */
export function warnAboutPasswordFlags(flags: Record<string, unknown>, logger: Logger): void {
  for (const key of ['couchUrl', 'redisUrl'] as const) {
    const value = flags[key];
    if (typeof value !== 'string' || !urlHasPassword(value)) continue;
    const flag = FLAGS.find(([k]) => k === key)![1].split(' ')[0];
    const env = OPTIONS[key].env;
    logger.warn({ flag }, `a password given on the command line (${flag}) is visible to every local user; set ${env} or ${env}_FILE instead`);
  }
}

function urlHasPassword(value: string): boolean {
  try {
    return new URL(value).password !== '';
  } catch {
    return false;
  }
}

export function configFromFlags(flags: Record<string, unknown>): Config {
  const overrides: Partial<Record<OptionKey, unknown>> = {};
  for (const [key] of FLAGS) if (flags[key] !== undefined) overrides[key] = flags[key];
  return loadConfig(process.env, overrides);
}

export function addDaemonCommands(program: Command): void {
  const roles: Array<[string, string, Roles, boolean]> = [
    ['run', 'Listener and workers in one process (the default).', { listen: true, work: true }, true],
    ['listen', 'Only follow the numbers databases and enqueue rebuilds (one active listener per cluster).', { listen: true, work: false }, false],
    ['work', 'Only run rebuild jobs; start as many as you like, on any machine.', { listen: false, work: true }, false],
  ];
  for (const [name, description, r, isDefault] of roles) {
    addConfigFlags(program.command(name, { isDefault }).description(description)).action(async (flags: Record<string, unknown>) => {
      await runDaemon(configFromFlags(flags), r, flags);
    });
  }
}

/**
 * Runs until SIGTERM/SIGINT: graceful stop (see Daemon.stop), ops endpoint closed, exit 0; a
 * second signal forces exit 1. A fatal error (CouchDB refused the credentials) exits 2.
 */
export async function runDaemon(config: Config, roles: Roles, flags: Record<string, unknown> = {}): Promise<void> {
  // Embedded servers' secrets join the list once known: the logger reads it at every line.
  const secrets = configSecrets(config);
  const logger = createLogger({ level: config.logLevel, secrets });
  warnAboutPasswordFlags(flags, logger);
  const services = await resolveServices(config, logger);
  secrets.push(...services.secrets);
  let daemon: Daemon | undefined;
  let ops: OpsEndpoint | undefined;
  let stopping = false;
  const stop = async (code: number, signal?: NodeJS.Signals) => {
    if (stopping) {
      if (!signal) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    ops?.markStopping();
    // Every step below is bounded; this only catches a bug that would hang the exit.
    setTimeout(() => {
      logger.error('shutdown did not complete; exiting anyway');
      process.exit(1);
    }, config.shutdownTimeoutMs + 15_000).unref();
    await daemon?.stop();
    await ops?.stop();
    await services.stop();
    logger.info({ code }, 'stopped');
    logger.flush?.();
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  void services.embeddedCouchLost?.then(() => {
    // Exit now, not gracefully: a graceful stop keeps calling the freed port with the admin
    // password, and any local user can bind it. Nothing is lost: index pages are atomic, jobs are
    // retried; the private redis-server follows us (pdeathsig) and the stale record is ignored.
    logger.fatal('embedded CouchDB server exited: stopping');
    logger.flush?.();
    process.exit(2);
  });
  daemon = new Daemon({
    settings: {
      ...config,
      couchUrl: services.couchUrl,
      redisUrl: services.redisUrl,
      redisPassword: services.redisPassword,
      redisSentinel: services.redisSentinel,
    },
    roles,
    logger,
    metrics: new Metrics({ defaultMetrics: true }),
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'fatal error');
      void stop(2);
    },
  });
  try {
    ops = await startOpsEndpoint({
      daemon,
      logger: logger.child({ role: 'ops' }),
      host: config.httpHost,
      port: config.httpPort,
      timing: config,
      dashboardUser: config.dashboardUser,
      dashboardPassword: config.dashboardPassword,
      dashboardWritable: config.dashboardWritable,
    });
  } catch (err) {
    logger.fatal(
      { err: err instanceof Error ? err.message : String(err), host: config.httpHost, port: config.httpPort },
      'cannot start the ops endpoint (NUMBERS_SYNC_HTTP_HOST / NUMBERS_SYNC_HTTP_PORT)',
    );
    await stop(1);
    return;
  }
  if (stopping) return;
  daemon.start();
  logger.info({ roles, couch: daemon.couch.displayUrl, ops: ops.url }, 'numbers-sync started');
  // The checks of `numbers-sync doctor`, logged once per start; never blocks or fails it.
  void logPreflight({ couchUrl: services.couchUrl, redis: daemon.redis, allowEviction: config.allowEviction }, logger.child({ role: 'preflight' }));
}
