import { z } from 'zod';
import { parseSentinels } from '../redis/sentinel-settings.js';

/**
 * Every setting in one table: its environment variable, schema (with default) and the
 * description used by --help, `.env.example` and the README table. One source keeps them true.
 */
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a ${protocols.join(' or ')}// URL` },
  );
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

const problemsOf = (value: string) => {
  const parsed = parseSentinels(value);
  return 'problems' in parsed ? parsed.problems.join('; ') : '';
};

const bool = () =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
    .transform((value) => value === 'true' || value === '1' || value === 'yes');

export const OPTIONS = {
  couchUrl: {
    env: 'COUCHDB_URL',
    schema: url(['http:', 'https:']).optional(),
    help: 'CouchDB base URL with admin credentials (http://admin:pw@host:5984). Unset: start the embedded server.',
  },
  couchUrlFile: {
    env: 'COUCHDB_URL_FILE',
    schema: z.string().min(1).optional(),
    secretFileOf: 'couchUrl',
    help: 'File holding COUCHDB_URL (e.g. a Docker secret), so the password is in no environment or command line.',
  },
  redisUrl: {
    env: 'REDIS_URL',
    schema: url(['redis:', 'rediss:']).optional(),
    help: 'Redis URL (redis://:pw@host:6379/0). Unset: start a private redis-server (unix socket, random password, AOF) under the data dir.',
  },
  redisUrlFile: {
    env: 'REDIS_URL_FILE',
    schema: z.string().min(1).optional(),
    secretFileOf: 'redisUrl',
    help: 'File holding REDIS_URL, so the password is in no environment or command line.',
  },
  redisSentinels: {
    env: 'REDIS_SENTINELS',
    schema: z
      .string()
      .refine((value) => 'sentinels' in parseSentinels(value), { error: (issue) => `must be host:port,host:port,... (${problemsOf(String(issue.input))})` })
      .optional(),
    help: 'Redis Sentinel addresses (host:port,host:port); the daemon, queue, workers, lease and CLI then connect to the primary they name. Excludes REDIS_URL; needs REDIS_SENTINEL_NAME. See docs/redis-ha.md.',
  },
  redisSentinelName: {
    env: 'REDIS_SENTINEL_NAME',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'must be 1-128 characters of A-Z a-z 0-9 _ . : -')
      .optional(),
    help: 'Master group name the sentinels monitor (`sentinel monitor <name> ...`).',
  },
  redisSentinelPassword: {
    env: 'REDIS_SENTINEL_PASSWORD',
    schema: z.string().min(1).optional(),
    help: 'Password of the sentinels themselves (their requirepass), if they require one.',
  },
  redisSentinelPasswordFile: {
    env: 'REDIS_SENTINEL_PASSWORD_FILE',
    schema: z.string().min(1).optional(),
    secretFileOf: 'redisSentinelPassword',
    help: 'File holding REDIS_SENTINEL_PASSWORD.',
  },
  redisPassword: {
    env: 'REDIS_PASSWORD',
    schema: z.string().min(1).optional(),
    help: 'Password of the Redis data nodes (primary and replicas) behind REDIS_SENTINELS. With REDIS_URL the password goes in the URL.',
  },
  redisPasswordFile: {
    env: 'REDIS_PASSWORD_FILE',
    schema: z.string().min(1).optional(),
    secretFileOf: 'redisPassword',
    help: 'File holding REDIS_PASSWORD.',
  },
  dataDir: { env: 'NUMBERS_SYNC_DATA_DIR', schema: z.string().min(1).default('./data'), help: 'Data directory of the embedded CouchDB and Redis.' },
  embeddedCouchPort: {
    env: 'NUMBERS_SYNC_EMBEDDED_COUCH_PORT',
    schema: int(0, 65535).default(5984),
    help: 'Port of the embedded CouchDB-compatible server (127.0.0.1).',
  },
  prefix: {
    env: 'NUMBERS_SYNC_PREFIX',
    schema: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -')
      .default('nsync'),
    help: 'Prefix of every Redis key (index, checkpoints, queue, lease).',
  },
  concurrency: { env: 'NUMBERS_SYNC_CONCURRENCY', schema: int(1, 1000).default(64), help: 'Rebuild jobs run in parallel per worker process.' },
  drainConcurrency: { env: 'NUMBERS_SYNC_DRAIN_CONCURRENCY', schema: int(1, 100).default(16), help: 'Numbers databases read in parallel by the listener.' },
  batchSize: { env: 'NUMBERS_SYNC_BATCH_SIZE', schema: int(1, 10_000).default(500), help: 'Changes read per _changes request (bounds memory).' },
  maxDocBytes: {
    env: 'NUMBERS_SYNC_MAX_DOC_BYTES',
    schema: int(4096, 256 * 1024 * 1024).default(1024 * 1024),
    help: 'A number doc larger than this many bytes (as CouchDB sends it) is never read whole: it is listed nowhere and reported as too_large.',
  },
  readBufferBytes: {
    env: 'NUMBERS_SYNC_READ_BUFFER_BYTES',
    schema: int(65_536, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
    help: 'Bytes of _changes pages the listener holds at once, all drains together; a page holds at most this / drain concurrency (at least one max-size doc).',
  },
  rescanIntervalMs: {
    env: 'NUMBERS_SYNC_RESCAN_INTERVAL_MS',
    schema: int(1000).default(60_000),
    help: 'Rescan: _all_dbs, then _dbs_info, and a drain of every numbers database whose update_seq changed since it was last drained (catches missed _db_updates).',
  },
  liveFeeds: {
    env: 'NUMBERS_SYNC_LIVE_FEEDS',
    schema: int(0, 10_000).default(64),
    help: 'Longpoll _changes feeds kept open on the numbers databases that changed most recently: a change there is read at once, not when _db_updates reports it (CouchDB 3 batches those every [global_changes] max_write_delay, 500 ms); one CouchDB connection each; 0 = _db_updates only.',
  },
  pollIntervalMs: {
    env: 'NUMBERS_SYNC_POLL_INTERVAL_MS',
    schema: int(100).default(2000),
    help: 'Drain interval of every database when _db_updates is unavailable.',
  },
  feedTimeoutMs: {
    env: 'NUMBERS_SYNC_FEED_TIMEOUT_MS',
    schema: int(100, 600_000).default(30_000),
    help: 'Longpoll timeout of the _db_updates feed and of the live _changes feeds.',
  },
  requestTimeoutMs: {
    env: 'NUMBERS_SYNC_REQUEST_TIMEOUT_MS',
    schema: int(1000).default(60_000),
    help: 'Watchdog: a CouchDB request running longer than this (beyond a feed timeout) is aborted and retried.',
  },
  allowEviction: {
    env: 'NUMBERS_SYNC_ALLOW_EVICTION',
    schema: z
      .union([z.boolean(), z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' })])
      .transform((v) => v === true || v === 'true' || v === '1')
      .default(false),
    help: 'Start even though Redis maxmemory-policy is not noeviction (evicted index keys make account docs drift).',
  },
  leaseTtlMs: {
    env: 'NUMBERS_SYNC_LEASE_TTL_MS',
    schema: int(1000).default(10_000),
    help: 'Listener lease time-to-live; a standby takes over within this time.',
  },
  jobAttempts: { env: 'NUMBERS_SYNC_JOB_ATTEMPTS', schema: int(1, 100).default(8), help: 'Attempts of a rebuild job before it lands in the failed set.' },
  jobBackoffMs: { env: 'NUMBERS_SYNC_JOB_BACKOFF_MS', schema: int(1).default(1000), help: 'First retry delay of a failed rebuild (exponential, with jitter).' },
  failedRetryIntervalMs: {
    env: 'NUMBERS_SYNC_FAILED_RETRY_INTERVAL_MS',
    schema: int(1000).default(300_000),
    help: 'How often each worker process requests again the accounts of failed rebuild jobs (while CouchDB answers); jobs with an invalid account id stay failed.',
  },
  coalesceMs: {
    env: 'NUMBERS_SYNC_COALESCE_MS',
    schema: int(0, 60_000).default(100),
    help: 'Coalescing window: a rebuild of an account requested again within this time of its previous request waits this long, and later changes join it, so a burst writes the account doc a few times; an isolated change is rebuilt at once.',
  },
  auditIntervalMs: {
    env: 'NUMBERS_SYNC_AUDIT_INTERVAL_MS',
    schema: int(0).default(3_600_000),
    help: 'Drift audit: every this often the listener lease holder runs `verify` (in a child process) and exports numbers_sync_drift_accounts and numbers_sync_last_audit_timestamp_seconds; 0 disables it.',
  },
  httpHost: { env: 'NUMBERS_SYNC_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), help: 'Bind address of the ops HTTP endpoint.' },
  httpPort: {
    env: 'NUMBERS_SYNC_HTTP_PORT',
    schema: int(0, 65535).default(9464),
    help: 'Port of the ops HTTP endpoint (/healthz /readyz /metrics); 0 picks a free port.',
  },
  dashboardUser: {
    env: 'NUMBERS_SYNC_DASHBOARD_USER',
    schema: z.string().min(1).optional(),
    help: 'Enables the queue dashboard at /dashboard with this basic-auth user.',
  },
  dashboardPassword: {
    env: 'NUMBERS_SYNC_DASHBOARD_PASSWORD',
    schema: z.string().min(8).optional(),
    help: 'Password of the queue dashboard (at least 8 characters).',
  },
  dashboardPasswordFile: {
    env: 'NUMBERS_SYNC_DASHBOARD_PASSWORD_FILE',
    schema: z.string().min(1).optional(),
    secretFileOf: 'dashboardPassword',
    help: 'File holding NUMBERS_SYNC_DASHBOARD_PASSWORD.',
  },
  dashboardWritable: {
    env: 'NUMBERS_SYNC_DASHBOARD_WRITABLE',
    schema: bool().default(false),
    help: 'Lets the dashboard change the queue (retry, promote, remove, pause, add jobs); otherwise it is read-only.',
  },
  shutdownTimeoutMs: { env: 'NUMBERS_SYNC_SHUTDOWN_TIMEOUT_MS', schema: int(0).default(30_000), help: 'How long shutdown waits for active rebuilds.' },
  logLevel: {
    env: 'LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    help: 'Log level.',
  },
  sweepIntervalMs: {
    env: 'NUMBERS_SYNC_SWEEP_INTERVAL_MS',
    schema: int(0).default(3_600_000),
    help: 'Anti-entropy sweep: every this often, re-read every numbers database and account doc, compare with the index and repair what differs; 0 disables it.',
  },
  sweepMaxReadsPerS: {
    env: 'NUMBERS_SYNC_SWEEP_MAX_READS_PER_S',
    schema: int(0).default(200),
    help: 'Documents the sweep reads per second at most (number docs and account docs), bounding its share of CouchDB; 0 = no bound.',
  },
} as const;

export type OptionKey = keyof typeof OPTIONS;

/** Options whose value may instead be read from a file named by another option (`<VAR>_FILE`). */
export const SECRET_FILES = Object.entries(OPTIONS).flatMap(([key, option]) =>
  'secretFileOf' in option ? [{ fileKey: key as OptionKey, valueKey: option.secretFileOf as OptionKey }] : [],
);
