// Pure verdicts of the preflight checks (`numbers-sync doctor`, and the start-up log of the
// daemon): facts read by probes.ts go in, one line per check comes out. No I/O here.
import { judgeEvictionPolicy } from '../redis/eviction-policy.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Stable id of the check (JSON output, log field). */
  check: string;
  status: CheckStatus;
  message: string;
}

/** An HTTP answer reduced to what the verdicts need; `error` when there was no answer at all. */
export interface HttpFact {
  status?: number;
  body?: unknown;
  error?: string;
}

const result = (check: string, status: CheckStatus, message: string): CheckResult => ({ check, status, message });

/** 0 when every check is ok (or skipped), 1 with a warning, 2 with a failure. */
export function exitCodeOf(results: readonly CheckResult[]): 0 | 1 | 2 {
  if (results.some((r) => r.status === 'fail')) return 2;
  if (results.some((r) => r.status === 'warn')) return 1;
  return 0;
}

export function judgeCouchUp(up: HttpFact): CheckResult {
  if (up.error !== undefined) return result('couch_reachable', 'fail', `CouchDB does not answer: ${up.error}`);
  const body = (up.body ?? {}) as { status?: unknown };
  if (up.status === 200) return result('couch_reachable', 'ok', `GET /_up: ${String(body.status ?? 'ok')}`);
  if (body.status === 'maintenance_mode' || body.status === 'nolb') {
    return result('couch_reachable', 'warn', `GET /_up: ${String(body.status)} (the node is not serving normally)`);
  }
  return result('couch_reachable', 'fail', `GET /_up answered ${up.status ?? '?'}`);
}

export function judgeCouchVersion(root: HttpFact): CheckResult {
  if (root.error !== undefined || root.status !== 200) return result('couch_version', 'fail', `GET / failed: ${root.error ?? root.status}`);
  const body = (root.body ?? {}) as { couchdb?: unknown; version?: unknown; vendor?: { name?: unknown } };
  if (typeof body.couchdb !== 'string') return result('couch_version', 'fail', 'GET / is not a CouchDB welcome banner');
  const version = typeof body.version === 'string' ? body.version : 'unknown';
  const vendor = typeof body.vendor?.name === 'string' ? ` (${body.vendor.name})` : '';
  const major = Number(version.split('.')[0]);
  if (!Number.isFinite(major) || major < 2) return result('couch_version', 'warn', `CouchDB ${version}${vendor}: tested with 3.x`);
  if (major < 3) return result('couch_version', 'warn', `CouchDB ${version}${vendor}: tested with 3.x; 2.x has the same endpoints but is not tested`);
  return result('couch_version', 'ok', `CouchDB ${version}${vendor}`);
}

/** `_all_dbs` and `_db_updates` are server-admin endpoints on CouchDB 3; 401/403 stops the daemon. */
export function judgeAdminRights(allDbs: HttpFact, dbUpdates: HttpFact): CheckResult {
  const refused = (f: HttpFact) => f.status === 401 || f.status === 403;
  if (refused(allDbs) || refused(dbUpdates)) {
    const which = [refused(allDbs) ? `_all_dbs ${allDbs.status}` : '', refused(dbUpdates) ? `_db_updates ${dbUpdates.status}` : ''].filter(Boolean).join(', ');
    return result(
      'couch_admin',
      'fail',
      `not a server admin (${which}): COUCHDB_URL must carry server-admin credentials; the daemon exits 2 on refused credentials`,
    );
  }
  if (allDbs.status !== 200) return result('couch_admin', 'fail', `_all_dbs failed: ${allDbs.error ?? allDbs.status}`);
  if (dbUpdates.status !== 200) {
    return result(
      'couch_admin',
      'warn',
      `_all_dbs answers, _db_updates does not (${dbUpdates.error ?? dbUpdates.status}): the daemon drains every numbers database every NUMBERS_SYNC_POLL_INTERVAL_MS instead of following changes`,
    );
  }
  return result('couch_admin', 'ok', 'server admin: _all_dbs and _db_updates answer');
}

/** `_db_updates` is served from `_global_changes` on CouchDB 3; a server may answer without it (the embedded one). */
export function judgeGlobalChanges(db: HttpFact, dbUpdatesAnswers: boolean): CheckResult {
  if (db.status === 200) return result('global_changes_db', 'ok', '_global_changes database present');
  if (db.status === 404) {
    if (dbUpdatesAnswers)
      return result(
        'global_changes_db',
        'ok',
        '_global_changes database absent, but _db_updates answers (a server that keeps database events elsewhere, such as the embedded one)',
      );
    return result(
      'global_changes_db',
      'warn',
      '_global_changes database missing: _db_updates cannot work, so the daemon polls every numbers database every NUMBERS_SYNC_POLL_INTERVAL_MS (create it: PUT /_global_changes)',
    );
  }
  return result('global_changes_db', 'warn', `cannot tell whether _global_changes exists: ${db.error ?? db.status}`);
}

/** CouchDB's default [global_changes] max_write_delay, in ms. */
export const DEFAULT_MAX_WRITE_DELAY_MS = 500;
const MAX_WRITE_DELAY_WARN_MS = 2000;

/**
 * `[global_changes] max_write_delay`: CouchDB batches database events this long before
 * `_db_updates` reports them, so every change can wait up to that long before the listener
 * hears of it. 404 means the key is unset (default) or the config is not served (embedded).
 */
export function judgeMaxWriteDelay(config: HttpFact): CheckResult {
  const c = 'global_changes_delay';
  if (config.status === 200) {
    const ms = Number(config.body);
    if (!Number.isFinite(ms) || ms < 0) return result(c, 'warn', `[global_changes] max_write_delay is ${JSON.stringify(config.body)}, not a number of ms`);
    const adds = `adds up to ${ms} ms to the lag of every change (_db_updates reports database events in batches this far apart)`;
    return result(c, ms > MAX_WRITE_DELAY_WARN_MS ? 'warn' : 'ok', `[global_changes] max_write_delay = ${ms} ms: ${adds}`);
  }
  if (config.status === 404) {
    return result(
      c,
      'skip',
      `[global_changes] max_write_delay not readable (unset: CouchDB's default ${DEFAULT_MAX_WRITE_DELAY_MS} ms applies, up to that much lag per change; or a server without _node/_local/_config, such as the embedded one)`,
    );
  }
  return result(
    c,
    'skip',
    `[global_changes] max_write_delay not readable (${config.error ?? config.status}); CouchDB's default adds up to ${DEFAULT_MAX_WRITE_DELAY_MS} ms of lag per change`,
  );
}

/** The `field:value` lines of a Redis INFO section. */
export function parseInfo(info: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of info.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out.set(line.slice(0, at), line.slice(at + 1).trim());
  }
  return out;
}

/** BullMQ refuses Redis below 5.0.0 and recommends 6.2.0. */
export function judgeRedisVersion(version: string | undefined): CheckResult {
  if (!version) return result('redis_version', 'warn', 'INFO server did not report redis_version');
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major < 5) return result('redis_version', 'fail', `Redis ${version}: the queue (BullMQ) needs 5.0 or newer`);
  if (major < 6 || (major === 6 && minor < 2)) return result('redis_version', 'warn', `Redis ${version}: 6.2 or newer is recommended (BullMQ)`);
  return result('redis_version', 'ok', `Redis ${version}`);
}

/** Reuses the daemon's own rule: anything but noeviction refuses the start unless allowed. */
export function judgeEviction(policy: string | undefined, allowEviction: boolean): CheckResult {
  const verdict = judgeEvictionPolicy(policy, allowEviction);
  if (verdict.ok) return result('redis_eviction', 'ok', 'maxmemory-policy noeviction');
  if (verdict.allowed) return result('redis_eviction', 'warn', `${verdict.error.message} (allowed by --allow-eviction: the daemon starts anyway)`);
  return result('redis_eviction', 'fail', `${verdict.error.message} The daemon refuses to start.`);
}

export interface PersistenceFacts {
  /** INFO persistence. */
  info: Map<string, string>;
  /** CONFIG GET save; undefined when CONFIG is refused (renamed or disabled). */
  savePoints?: string;
}

const REPLAY_COST =
  'after a Redis restart the index, checkpoints and queue are gone: the listener replays every numbers database from the start with rebuilds held, then reconciles every account (correct, but a full read of the numbers databases and a rebuild of every account)';

export function judgePersistence(f: PersistenceFacts): CheckResult {
  const c = 'redis_persistence';
  const failing = ['aof_last_write_status', 'aof_last_bgrewrite_status', 'rdb_last_bgsave_status'].filter((k) => f.info.get(k) === 'err');
  if (failing.length > 0) return result(c, 'warn', `Redis reports failed persistence (${failing.join(', ')} = err): ${REPLAY_COST}`);
  if (f.info.get('aof_enabled') === '1') return result(c, 'ok', 'AOF (appendonly yes): a restart resumes from the checkpoints');
  if (f.savePoints)
    return result(c, 'ok', `RDB snapshots (save ${f.savePoints}): a restart resumes from the snapshot's checkpoints and re-reads what came after`);
  if (f.savePoints === undefined && Number(f.info.get('rdb_saves') ?? 0) > 0) {
    return result(c, 'ok', 'RDB snapshots (seen in INFO persistence; CONFIG GET save is refused, so the schedule is unknown)');
  }
  if (f.savePoints === undefined)
    return result(c, 'warn', `no AOF, and CONFIG GET save is refused so RDB snapshots cannot be confirmed; without persistence ${REPLAY_COST}`);
  return result(c, 'warn', `none (no AOF, no RDB save points): ${REPLAY_COST}. Set appendonly yes`);
}

export interface DbCounts {
  /** Followed `numbers/+NNNN` databases. */
  numbers: number;
  /** Other `numbers/...` databases (carrier inventory), never followed. */
  ignoredNumbers: number;
  accounts: number;
}

export function judgeDbCounts(counts: DbCounts): CheckResult[] {
  const ignored = counts.ignoredNumbers > 0 ? ` (${counts.ignoredNumbers} other numbers/... database(s) ignored)` : '';
  return [
    counts.numbers > 0
      ? result('numbers_databases', 'ok', `${counts.numbers} numbers/+NNNN database(s)${ignored}`)
      : result('numbers_databases', 'warn', `no numbers/+NNNN database${ignored}: nothing to sync (is COUCHDB_URL the KAZOO cluster?)`),
    counts.accounts > 0
      ? result('account_databases', 'ok', `${counts.accounts} account database(s)`)
      : result('account_databases', 'warn', 'no account/xx/yy/... database: no phone_numbers doc can be written (the daemon never creates account databases)'),
  ];
}

/** Clock offset of one server against this host, measured around one request. */
export interface ClockReading {
  source: 'couchdb' | 'redis';
  /** Server time minus this host's time at the middle of the request, ms; undefined when unread. */
  offsetMs?: number;
  /** Resolution of the server's clock reading (CouchDB's Date header has whole seconds). */
  resolutionMs: number;
  error?: string;
}

export const CLOCK_WARN_MS = 5000;

/**
 * The daemon stamps `pvt_modified` of account docs with this host's clock and compares lag
 * timestamps across hosts: a skew of seconds makes both misleading (nothing is lost).
 */
export function judgeClock(readings: readonly ClockReading[]): CheckResult {
  const read = readings.filter((r) => r.offsetMs !== undefined);
  const parts = readings.map((r) => (r.offsetMs === undefined ? `${r.source} unread (${r.error ?? 'no answer'})` : `${r.source} ${formatOffset(r.offsetMs)}`));
  if (read.length === 0) return result('clock', 'skip', `cannot compare clocks: ${parts.join(', ')}`);
  // A reading is only known to within its resolution: count only what exceeds it.
  const worst = Math.max(...read.map((r) => Math.max(0, Math.abs(r.offsetMs!) - r.resolutionMs)));
  if (worst > CLOCK_WARN_MS) {
    return result(
      'clock',
      'warn',
      `clock skew above ${CLOCK_WARN_MS / 1000} s (${parts.join(', ')}): pvt_modified of account docs and lag figures are off by as much; run NTP on every host`,
    );
  }
  return result('clock', 'ok', `clocks agree within ${CLOCK_WARN_MS / 1000} s (${parts.join(', ')})`);
}

function formatOffset(ms: number): string {
  return `${ms >= 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(1)} s`;
}
