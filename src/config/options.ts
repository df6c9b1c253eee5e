import { z } from 'zod';

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

export const OPTIONS = {
  couchUrl: {
    env: 'COUCHDB_URL',
    schema: url(['http:', 'https:']).optional(),
    help: 'CouchDB base URL with admin credentials (http://admin:pw@host:5984). Unset: start the embedded server.',
  },
  redisUrl: {
    env: 'REDIS_URL',
    schema: url(['redis:', 'rediss:']).optional(),
    help: 'Redis URL (redis://:pw@host:6379/0). Unset: start a private redis-server with AOF under the data dir.',
  },
  dataDir: { env: 'NUMBERS_SYNC_DATA_DIR', schema: z.string().min(1).default('./data'), help: 'Data directory of the embedded CouchDB and Redis.' },
  embeddedCouchPort: { env: 'NUMBERS_SYNC_EMBEDDED_COUCH_PORT', schema: int(0, 65535).default(5984), help: 'Port of the embedded CouchDB-compatible server (127.0.0.1).' },
  prefix: {
    env: 'NUMBERS_SYNC_PREFIX',
    schema: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -').default('nsync'),
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
  rescanIntervalMs: { env: 'NUMBERS_SYNC_RESCAN_INTERVAL_MS', schema: int(1000).default(60_000), help: 'Full _all_dbs rescan and drain of every numbers database (catches missed _db_updates).' },
  pollIntervalMs: { env: 'NUMBERS_SYNC_POLL_INTERVAL_MS', schema: int(100).default(2000), help: 'Drain interval of every database when _db_updates is unavailable.' },
  feedTimeoutMs: { env: 'NUMBERS_SYNC_FEED_TIMEOUT_MS', schema: int(100, 600_000).default(30_000), help: 'Longpoll timeout of the _db_updates feed.' },
  requestTimeoutMs: { env: 'NUMBERS_SYNC_REQUEST_TIMEOUT_MS', schema: int(1000).default(60_000), help: 'Watchdog: a CouchDB request running longer than this (beyond a feed timeout) is aborted and retried.' },
  leaseTtlMs: { env: 'NUMBERS_SYNC_LEASE_TTL_MS', schema: int(1000).default(10_000), help: 'Listener lease time-to-live; a standby takes over within this time.' },
  jobAttempts: { env: 'NUMBERS_SYNC_JOB_ATTEMPTS', schema: int(1, 100).default(8), help: 'Attempts of a rebuild job before it lands in the failed set.' },
  jobBackoffMs: { env: 'NUMBERS_SYNC_JOB_BACKOFF_MS', schema: int(1).default(1000), help: 'First retry delay of a failed rebuild (exponential, with jitter).' },
  coalesceMs: {
    env: 'NUMBERS_SYNC_COALESCE_MS',
    schema: int(0, 60_000).default(100),
    help: 'A rebuild waits this long after the first change to its account; later changes join it, so a burst writes the account doc a few times, not once per change.',
  },
  httpHost: { env: 'NUMBERS_SYNC_HTTP_HOST', schema: z.string().min(1).default('127.0.0.1'), help: 'Bind address of the ops HTTP endpoint.' },
  httpPort: { env: 'NUMBERS_SYNC_HTTP_PORT', schema: int(0, 65535).default(9464), help: 'Port of the ops HTTP endpoint (/healthz /readyz /metrics); 0 picks a free port.' },
  dashboardUser: { env: 'NUMBERS_SYNC_DASHBOARD_USER', schema: z.string().min(1).optional(), help: 'Enables the queue dashboard at /dashboard with this basic-auth user.' },
  dashboardPassword: { env: 'NUMBERS_SYNC_DASHBOARD_PASSWORD', schema: z.string().min(8).optional(), help: 'Password of the queue dashboard (at least 8 characters).' },
  shutdownTimeoutMs: { env: 'NUMBERS_SYNC_SHUTDOWN_TIMEOUT_MS', schema: int(0).default(30_000), help: 'How long shutdown waits for active rebuilds.' },
  logLevel: {
    env: 'LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    help: 'Log level.',
  },
} as const;

export type OptionKey = keyof typeof OPTIONS;
