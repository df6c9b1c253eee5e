import type { Command } from 'commander';
import { pino } from 'pino';
import { configSecrets } from '../../config/config.js';
import { createLogger } from '../../log/logger.js';
import { openRedis } from '../../redis/connection.js';
import { resolveCommandServices } from '../../embedded/command-services.js';
import { redactUrl } from '../../util/redact.js';
import { runPreflight } from '../../doctor/run-checks.js';
import { doctorReport, renderDoctor } from '../format/doctor-format.js';
import { COMMAND_FLAGS, exitAfterFlush } from './command-context.js';
import { addConfigFlags, configFromFlags, warnAboutPasswordFlags } from './daemon-commands.js';

export function addDoctorCommand(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'Preflight: check CouchDB (reachable, version, admin rights, _global_changes, max_write_delay, database counts), ' +
        'Redis (version, maxmemory-policy, persistence) and the clocks. Exit 0 all ok, 1 warnings, 2 a failure.',
    )
    .option('--json', 'print the checks as JSON');
  addConfigFlags(command, [...COMMAND_FLAGS, 'allowEviction']).action(async (flags: Record<string, unknown> & { json?: boolean }) => {
    await exitAfterFlush(await doctor(flags));
  });
}

/**
 * Unlike runWithContext, a server that does not answer is a failed check here (exit 2), not an
 * error before any output, so the connections are opened without waiting for them.
 */
async function doctor(flags: Record<string, unknown> & { json?: boolean }): Promise<number> {
  const config = configFromFlags(flags);
  const secrets = configSecrets(config);
  const explicitLevel = flags.logLevel !== undefined || Boolean(process.env.LOG_LEVEL);
  const logger = createLogger({ level: explicitLevel ? config.logLevel : 'warn', secrets, destination: pino.destination({ dest: 2, sync: true }) });
  warnAboutPasswordFlags(flags, logger);
  let services;
  try {
    services = await resolveCommandServices(config, logger);
  } catch (err) {
    process.stderr.write(`numbers-sync doctor: ${redactUrl(err instanceof Error ? err.message : String(err))}\n`);
    return 2;
  }
  secrets.push(...services.secrets);
  const redis = openRedis(services, {
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 2 ? null : 200 * times),
  });
  let lastRedisError = '';
  redis.on('error', (e: Error) => {
    lastRedisError = e.message;
    logger.debug({ err: e.message }, 'redis connection error');
  });
  try {
    const redisError = await redis.connect().then(
      () => undefined,
      (e: Error) => redactUrl(lastRedisError || e.message),
    );
    const checks = await runPreflight({ couchUrl: services.couchUrl, redis, allowEviction: config.allowEviction, ...(redisError ? { redisError } : {}) });
    const report = doctorReport(redactUrl(services.couchUrl), redactUrl(services.redisUrl), checks);
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report));
    return report.exitCode;
  } finally {
    redis.disconnect();
    await services.stop();
  }
}
