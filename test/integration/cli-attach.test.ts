import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChildDaemon } from '../harness/child-daemon.js';
import { runCli } from '../harness/cli.js';
import { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import { freePort } from '../../src/util/free-port.js';
import { readRuntimeRecord, runtimeFilePath } from '../../src/embedded/runtime-file.js';
import type { StatusReport } from '../../src/status/collect-status.js';

// With no COUCHDB_URL / REDIS_URL, commands join the daemon's embedded servers instead of
// starting second ones on the same data dir.
const A = 'c0ffee00c0ffee00c0ffee00c0ffee01';

describe('commands next to a daemon running the embedded default', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let daemon: ChildDaemon;
  let owner: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'nsync-attach-'));
    const port = await freePort();
    env = { NUMBERS_SYNC_DATA_DIR: dataDir, NUMBERS_SYNC_EMBEDDED_COUCH_PORT: String(port) };
    daemon = new ChildDaemon(['run'], { ...env, COUCHDB_URL: '', REDIS_URL: '' });
    const acquired = await daemon.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'listener started');
    owner = String(acquired.owner);
  });

  afterAll(async () => {
    await daemon?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("status and verify use the running daemon's CouchDB and Redis", async () => {
    const record = await readRuntimeRecord(dataDir);
    expect(record).toMatchObject({ pid: daemon.child.pid });
    // The embedded server's URL, with its generated admin credentials (the record is 0600).
    expect(record!.couchUrl).toMatch(new RegExp(`^http://admin:[^@]+@127\\.0\\.0\\.1:${env.NUMBERS_SYNC_EMBEDDED_COUCH_PORT}$`));
    const fx = new CouchFixture(record!.couchUrl!);
    await fx.createAccountDb(A);
    await fx.createDb('numbers/+1415');
    await fx.putNumber({ _id: '+14155550100', pvt_state: 'in_service', pvt_assigned_to: A });
    await waitFor(async () => (await fx.listed(A)).length === 1, { what: 'daemon synced the account' });

    const status = await runCli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    expect(report.listener.holder).toBe(owner);
    expect(report.redis).toBe(record!.redisUrl);
    expect(report.databases.map((d) => d.db)).toEqual(['numbers/+1415']);

    const verify = await runCli(['verify'], env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('verify: 1 account checked, no drift');
  });

  it('after the daemon stopped, a command starts the embedded servers on the same data dir', async () => {
    const before = JSON.parse((await runCli(['status', '--json'], env)).stdout) as StatusReport;
    await daemon.kill('SIGTERM');
    expect(existsSync(runtimeFilePath(dataDir))).toBe(false);
    const status = await runCli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as StatusReport;
    // The same persisted index (AOF) and databases, and nobody holding the lease.
    expect(report.index.epoch).toBe(before.index.epoch);
    expect(report.databases.map((d) => d.db)).toEqual(['numbers/+1415']);
    expect(report.listener.holder).toBeNull();
    expect(existsSync(runtimeFilePath(dataDir))).toBe(false);
  });
});
