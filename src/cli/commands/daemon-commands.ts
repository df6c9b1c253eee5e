import type { Command } from 'commander';
import { configSecrets, loadConfig, type Config } from '../../config/config.js';
import { OPTIONS, type OptionKey } from '../../config/options.js';
import { createLogger } from '../../log/logger.js';
import { Daemon } from '../../daemon.js';
import { resolveServices } from '../../runtime/services.js';

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
];

export function addConfigFlags(command: Command): Command {
  for (const [key, flag] of FLAGS) command.option(flag, `${OPTIONS[key].help} [env ${OPTIONS[key].env}]`);
  return command;
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
      await runDaemon(configFromFlags(flags), r);
    });
  }
}

/** Runs until SIGTERM/SIGINT: graceful stop, exit 0; a second signal forces exit. */
export async function runDaemon(config: Config, roles: Roles): Promise<void> {
  const logger = createLogger({ level: config.logLevel, secrets: configSecrets(config) });
  const services = await resolveServices(config, logger);
  let daemon: Daemon | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) {
      logger.warn('second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info('shutting down');
    await daemon?.stop();
    await services.stop();
    logger.info('stopped');
    logger.flush?.();
    process.exit(code);
  };
  daemon = new Daemon({
    settings: { ...config, couchUrl: services.couchUrl, redisUrl: services.redisUrl },
    roles,
    logger,
    onFatal: (err) => {
      logger.fatal({ err: err.message }, 'fatal error');
      void stop(2);
    },
  }).start();
  logger.info({ roles, couch: daemon.couch.displayUrl }, 'numbers-sync started');
  process.on('SIGTERM', () => void stop(0));
  process.on('SIGINT', () => void stop(0));
}
