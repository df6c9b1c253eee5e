import { z } from 'zod';
import { readFileSync } from 'node:fs';
import { OPTIONS, SECRET_FILES, type OptionKey } from './options.js';
import { redactUrl } from '../util/redact.js';
import { redisSettingsProblems, type RedisSettingsInput } from '../redis/sentinel-settings.js';

const schema = z
  .object(
    Object.fromEntries(Object.entries(OPTIONS).map(([key, o]) => [key, o.schema])) as {
      [K in OptionKey]: (typeof OPTIONS)[K]['schema'];
    },
  )
  .refine((c) => Boolean(c.dashboardUser) === Boolean(c.dashboardPassword), {
    message: 'NUMBERS_SYNC_DASHBOARD_USER and NUMBERS_SYNC_DASHBOARD_PASSWORD (or _FILE) must be set together',
  });

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Builds the validated config from environment variables, overridden by explicit values
 * (CLI flags). Every bad value is reported at once, named by its variable, never echoing a secret.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<OptionKey, unknown>> = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, option] of Object.entries(OPTIONS)) {
    const fromEnv = env[option.env];
    raw[key] = overrides[key as OptionKey] ?? (fromEnv === '' ? undefined : fromEnv);
  }
  const fileProblems = [...readSecretFiles(raw), ...redisSettingsProblems(raw as RedisSettingsInput)];
  const parsed = schema.safeParse(raw);
  if (parsed.success && fileProblems.length === 0) return parsed.data;
  throw new ConfigError([
    ...fileProblems,
    ...(parsed.success ? [] : parsed.error.issues).map((issue) => {
      const key = issue.path[0] as OptionKey | undefined;
      if (!key) return issue.message;
      const shown =
        key === 'couchUrl' || key === 'redisUrl'
          ? redactUrl(String(raw[key]))
          : key === 'dashboardPassword' || key === 'redisPassword' || key === 'redisSentinelPassword'
            ? '***'
            : String(raw[key]);
      return `${OPTIONS[key].env}: ${issue.message} (got '${shown}')`;
    }),
  ]);
}

/**
 * Fills each secret from its file (`COUCHDB_URL_FILE` -> `COUCHDB_URL`), one trailing newline
 * dropped. Both set is an error: which one wins would be a guess. Returns the problems.
 */
function readSecretFiles(raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const { fileKey, valueKey } of SECRET_FILES) {
    const file = raw[fileKey];
    if (typeof file !== 'string' || file === '') continue;
    if (raw[valueKey] !== undefined) {
      problems.push(`${OPTIONS[fileKey].env}: set either ${OPTIONS[valueKey].env} or ${OPTIONS[fileKey].env}, not both`);
      continue;
    }
    try {
      raw[valueKey] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push(`${OPTIONS[fileKey].env}: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return problems;
}

/** Passwords in the configured URLs, for log scrubbing. */
export function configSecrets(config: Config): string[] {
  const secrets: string[] = [];
  for (const value of [config.couchUrl, config.redisUrl]) {
    if (!value) continue;
    const password = decodeURIComponent(new URL(value).password);
    if (password) secrets.push(password);
  }
  for (const secret of [config.dashboardPassword, config.redisPassword, config.redisSentinelPassword]) if (secret) secrets.push(secret);
  return secrets;
}
