import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { isExternalCouch, privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { freshAccountId, freshPrefixes } from '../harness/ids.js';
import { runCli } from '../harness/cli.js';
import { ChildDaemon } from '../harness/child-daemon.js';
import { startEmbeddedRedis, type EmbeddedRedis } from '../../src/embedded/embedded-redis.js';
import { freePort } from '../../src/util/free-port.js';
import type { DoctorReport } from '../../src/cli/format/doctor-format.js';

const A = freshAccountId();
const [P] = freshPrefixes(1) as [string];
const CHECKS = [
  'couch_reachable',
  'couch_version',
  'couch_admin',
  'global_changes_db',
  'global_changes_delay',
  'numbers_databases',
  'account_databases',
  'redis_version',
  'redis_eviction',
  'redis_persistence',
  'clock',
];

/** `numbers-sync doctor` against the real embedded server and real redis-servers. */
describe('numbers-sync doctor', () => {
  let couch: CouchHandle;
  let aof: EmbeddedRedis;
  let evicting: EmbeddedRedis;
  let aofDir: string;
  const children: ChildDaemon[] = [];

  beforeAll(async () => {
    ({ couch } = await privateCouchWith({ accounts: [A], numbersDbs: [`numbers/${P}`] }));
    aofDir = mkdtempSync(join(tmpdir(), 'nsync-doctor-'));
    [aof, evicting] = await Promise.all([startEmbeddedRedis({ dataDir: aofDir, appendOnly: true }), startEmbeddedRedis()]);
    const admin = new Redis(evicting.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await aof?.stop();
    await evicting?.stop();
    rmSync(aofDir, { recursive: true, force: true });
    await couch?.stop();
  });

  const env = (redis: string) => ({ COUCHDB_URL: couch.url, REDIS_URL: redis, NUMBERS_SYNC_PREFIX: uniquePrefix('doctor') });
  const byCheck = (report: DoctorReport) => Object.fromEntries(report.checks.map((c) => [c.check, c]));

  it('--json on the test setup: one verdict per check; the shared Redis has no persistence (warn, exit 1)', async () => {
    const { code, stdout, stderr } = await runCli(['doctor', '--json'], env(redisUrl()));
    const report = JSON.parse(stdout) as DoctorReport;
    expect(report.checks.map((c) => c.check)).toEqual(CHECKS);
    const c = byCheck(report);
    for (const name of [
      'couch_reachable',
      'couch_version',
      'couch_admin',
      'redis_version',
      'redis_eviction',
      'numbers_databases',
      'account_databases',
      'clock',
    ]) {
      expect(c[name]?.status, `${name}: ${c[name]?.message}`).toBe('ok');
    }
    if (!isExternalCouch()) {
      expect(c.couch_version?.message).toMatch(/^CouchDB 3\.\d+\.\d+ \(kazoo-numbers-sync embedded/);
      // The embedded server serves _db_updates without a _global_changes database, and no _node/_local/_config.
      expect(c.global_changes_db?.status).toBe('ok');
      expect(c.global_changes_db?.message).toContain('absent, but _db_updates answers');
      expect(c.global_changes_delay?.status).toBe('skip');
      expect(c.global_changes_delay?.message).toContain('default 500 ms');
    }
    expect(c.redis_persistence?.status).toBe('warn');
    expect(c.redis_persistence?.message).toMatch(/^none \(no AOF, no RDB save points\).*replays every numbers database/);
    expect(report.summary).toEqual({
      ok: expect.any(Number),
      warn: report.checks.filter((x) => x.status === 'warn').length,
      fail: 0,
      skip: expect.any(Number),
    });
    expect(report.exitCode).toBe(1);
    expect(code, stderr).toBe(1);
    expect(report.couch).not.toContain(new URL(couch.url).password || '\0');
  });

  it('prints one line per check and exits 0 when every check is ok (Redis with AOF)', async () => {
    const { code, stdout, stderr } = await runCli(['doctor'], env(aof.url));
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(CHECKS.length + 1);
    // A shared CouchDB 3 (npm run test:couchdb3) may hold anything: only the line shape is certain there.
    const statuses = isExternalCouch() ? 'ok|warn|fail|skip' : 'ok|skip';
    for (const [i, check] of CHECKS.entries()) expect(lines[i]).toMatch(new RegExp(`^(${statuses}) +${check} +\\S`));
    expect(lines.find((l) => l.includes('redis_persistence'))).toContain('AOF (appendonly yes)');
    expect(lines.at(-1)).toMatch(/^doctor: 11 checks: \d+ ok, \d+ warn, \d+ fail, \d+ skipped \(couch http:\/\/\*\*\*@/);
    if (!isExternalCouch()) expect(lines.at(-1)).toMatch(/ 0 warn, 0 fail, /);
    if (!isExternalCouch()) expect(code, stderr).toBe(0);
  });

  it('refuses an evicting Redis (maxmemory-policy allkeys-lru) with a clear message, exit 2; --allow-eviction makes it a warning', async () => {
    const refused = await runCli(['doctor'], env(evicting.url));
    expect(refused.code, refused.stderr).toBe(2);
    const line = refused.stdout.split('\n').find((l) => l.includes('redis_eviction'));
    expect(line).toMatch(
      /^fail +redis_eviction +Redis maxmemory-policy is allkeys-lru: .*Set maxmemory-policy to noeviction.*--allow-eviction.*The daemon refuses to start\.$/,
    );

    const allowed = await runCli(['doctor', '--json', '--allow-eviction'], env(evicting.url));
    const c = byCheck(JSON.parse(allowed.stdout) as DoctorReport);
    expect(c.redis_eviction?.status).toBe('warn');
    expect(c.redis_eviction?.message).toContain('allowed by --allow-eviction');
    expect(allowed.code, allowed.stderr).toBe(1);
  });

  it('fails (exit 2) when CouchDB or Redis does not answer, or CouchDB refuses the credentials', async () => {
    const down = await runCli(['doctor', '--json'], { ...env(aof.url), COUCHDB_URL: `http://admin:pw@127.0.0.1:${await freePort('127.0.0.1')}` });
    expect(down.code, down.stderr).toBe(2);
    const c = byCheck(JSON.parse(down.stdout) as DoctorReport);
    expect(c.couch_reachable?.status).toBe('fail');
    expect(c.couch_admin?.status).toBe('skip');
    expect(c.redis_eviction?.status).toBe('ok');

    const noRedis = await runCli(['doctor', '--json'], env(`redis://127.0.0.1:${await freePort('127.0.0.1')}`));
    expect(noRedis.code, noRedis.stderr).toBe(2);
    const n = byCheck(JSON.parse(noRedis.stdout) as DoctorReport);
    expect(n.redis_version).toMatchObject({ status: 'fail', message: expect.stringMatching(/^Redis does not answer: connect ECONNREFUSED/) });
    expect(n.redis_eviction?.status).toBe('skip');
    expect(n.couch_admin?.status).toBe('ok');

    const wrong = new URL(couch.url);
    wrong.password = 'not-the-password';
    const refused = await runCli(['doctor', '--json'], { ...env(aof.url), COUCHDB_URL: wrong.toString() });
    expect(refused.code, refused.stderr).toBe(2);
    const r = byCheck(JSON.parse(refused.stdout) as DoctorReport);
    expect(r.couch_admin?.status).toBe('fail');
    expect(r.couch_admin?.message).toMatch(/^not a server admin \(_all_dbs 401, _db_updates 401\)/);
    expect(refused.stdout).not.toContain('not-the-password');
  });

  it('the daemon logs the same checks at start, one line each', async () => {
    const daemon = new ChildDaemon(['run'], env(aof.url));
    children.push(daemon);
    await daemon.waitForLog((r) => r.check === 'clock', 'the preflight clock line');
    const logged = daemon.records().filter((r) => typeof r.check === 'string' && String(r.msg).startsWith('preflight '));
    expect(logged.map((r) => r.check)).toEqual(CHECKS);
    expect(logged.every((r) => r.role === 'preflight' && ['ok', 'skip'].includes(String(r.status)))).toBe(true);
    await daemon.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'the listener to start');
  }, 60_000);
});
