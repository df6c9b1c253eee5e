import { z } from 'zod';
import { OPTIONS, type OptionKey } from './options.js';
import { redactUrl } from '../util/redact.js';

const schema = z
  .object(Object.fromEntries(Object.entries(OPTIONS).map(([key, o]) => [key, o.schema])) as {
    [K in OptionKey]: (typeof OPTIONS)[K]['schema'];
  })
  .refine((c) => Boolean(c.dashboardUser) === Boolean(c.dashboardPassword), {
    message: 'NUMBERS_SYNC_DASHBOARD_USER and NUMBERS_SYNC_DASHBOARD_PASSWORD must be set together',
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
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = issue.path[0] as OptionKey | undefined;
      if (!key) return issue.message;
      const shown = key === 'couchUrl' || key === 'redisUrl' ? redactUrl(String(raw[key])) : key === 'dashboardPassword' ? '***' : String(raw[key]);
      return `${OPTIONS[key].env}: ${issue.message} (got '${shown}')`;
    }),
  );
}

/** Passwords in the configured URLs, for log scrubbing. */
export function configSecrets(config: Config): string[] {
  const secrets: string[] = [];
  for (const value of [config.couchUrl, config.redisUrl]) {
    if (!value) continue;
    const password = decodeURIComponent(new URL(value).password);
    if (password) secrets.push(password);
  }
  if (config.dashboardPassword) secrets.push(config.dashboardPassword);
  return secrets;
}
