import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { pino } from 'pino';
import { configuredRedisTarget, openRedis, type RedisTarget } from '../../redis/connection.js';
import { configSecrets, loadConfig } from '../../config/config.js';
import { createLogger } from '../../log/logger.js';
import { CouchClient } from '../../couch/couch-client.js';
import { CouchError } from '../../couch/couch-error.js';
import { startEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';
import { startEmbeddedRedis } from '../../embedded/embedded-redis.js';
import { Daemon } from '../../daemon.js';
import { auditAccounts } from '../../audit/audit-accounts.js';
import { accountDbName, numberDbName, PHONE_NUMBERS_DOC_ID } from '../../rules/index.js';
import { abortableSleep } from '../../util/abortable-sleep.js';
import { redactUrl } from '../../util/redact.js';
import { ACCOUNTS, C, N1, NUMBERS_DBS, WORKED_EXAMPLE, type DemoWrite } from '../../demo/worked-example.js';
import { listedNumbers, renderAccounts } from '../format/demo-format.js';
import { renderVerify, verifyReport } from '../format/verify-format.js';
import { exitAfterFlush } from './command-context.js';

const STEP_TIMEOUT_MS = 30_000;

export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the worked example of docs/rules.md against a live daemon in this process and print the account ' +
        'docs after each step. Starts an in-memory embedded CouchDB and a private redis-server unless ' +
        'COUCHDB_URL / REDIS_URL are set (then use a scratch CouchDB: it writes the example accounts and numbers).',
    )
    .action(async () => {
      let code = 1;
      try {
        code = await runDemo();
      } catch (err) {
        process.stderr.write(`numbers-sync demo: ${redactUrl(err instanceof Error ? err.message : String(err))}\n`);
      }
      await exitAfterFlush(code);
    });
}

async function runDemo(): Promise<number> {
  const config = loadConfig(process.env);
  // The demo's output is the account docs; daemon logs (stderr) only for errors unless asked.
  const logger = createLogger({
    level: process.env.LOG_LEVEL ? config.logLevel : 'error',
    secrets: configSecrets(config),
    destination: pino.destination({ dest: 2, sync: true }),
  });
  const out = (text: string) => void process.stdout.write(text);
  const stops: Array<() => Promise<void>> = [];
  // A prefix of its own: on a shared Redis the demo never touches a real daemon's keys.
  const prefix = `demo-${randomBytes(4).toString('hex')}`;
  try {
    let couchUrl = config.couchUrl;
    if (!couchUrl) {
      const couch = await startEmbeddedCouch({});
      stops.push(() => couch.stop());
      couchUrl = couch.url;
    }
    let redisTarget = configuredRedisTarget(config);
    if (!redisTarget) {
      // Private like the daemon's: a unix socket in a 0700 temporary directory, with a password.
      const redis = await startEmbeddedRedis({ unixSocket: true });
      stops.push(() => redis.stop());
      redisTarget = { redisUrl: redis.url, ...(redis.password ? { redisPassword: redis.password } : {}) };
    } else {
      const target = redisTarget;
      stops.push(() => deleteKeys(target, prefix));
    }
    out(`CouchDB ${redactUrl(couchUrl)}, Redis ${redactUrl(redisTarget.redisUrl)} (key prefix ${prefix})\n`);

    const couch = new CouchClient({ url: couchUrl });
    for (const db of [...NUMBERS_DBS, ...ACCOUNTS.map(([, id]) => accountDbName(id))]) await createDb(couch, db);
    const daemon = new Daemon({ settings: { ...config, couchUrl, ...redisTarget, prefix }, roles: { listen: true, work: true }, logger }).start();
    stops.push(() => daemon.stop());
    out(`daemon running; accounts ${ACCOUNTS.map(([name, id]) => `${name}=${id}`).join(' ')}\n\n`);

    for (const [i, step] of WORKED_EXAMPLE.entries()) {
      await apply(couch, step.write);
      const settled = await waitUntilInSync(couch);
      out(`${i + 1}. ${step.title}\n   expected: ${step.expect}\n`);
      out(renderAccounts(await readAccounts(couch)));
      out('\n');
      if (!settled.ok) {
        out(`the account docs did not reach the expected state within ${STEP_TIMEOUT_MS / 1000} s:\n${settled.detail}`);
        return 1;
      }
    }

    const final = await readAccounts(couch);
    out('Final account docs:\n');
    for (const { name, doc } of final) out(`${name}: ${JSON.stringify(doc ?? null, null, 2)}\n`);
    const byName = Object.fromEntries(final.map((a) => [a.name, listedNumbers(a.doc)]));
    const ok = JSON.stringify(byName) === JSON.stringify({ P: [], C: [N1], D: [] });
    out(ok ? `\nFinal: C lists only ${N1}; P and D list nothing.\n` : `\nUnexpected final state: ${JSON.stringify(byName)} (C=${C})\n`);
    return ok ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

async function createDb(couch: CouchClient, db: string): Promise<void> {
  try {
    await couch.request({ method: 'put', db });
  } catch (err) {
    if (!(err instanceof CouchError && err.status === 412)) throw err;
  }
}

/** Writes a number doc over whatever revision exists (re-runs against an external CouchDB). */
async function apply(couch: CouchClient, write: DemoWrite): Promise<void> {
  const id = 'put' in write ? write.put._id : write.remove;
  const db = numberDbName(id);
  for (;;) {
    const current = await couch.getDoc(db, id);
    try {
      if ('put' in write) await couch.putDoc(db, { ...write.put, ...(current ? { _rev: current._rev } : {}) });
      else if (current) await couch.request({ method: 'delete', db, path: encodeURIComponent(id), qs: { rev: current._rev } });
      return;
    } catch (err) {
      if (!(err instanceof CouchError && err.kind === 'conflict')) throw err;
    }
  }
}

/** Polls the audit (truth from the numbers dbs vs the account docs) until the three accounts agree. */
async function waitUntilInSync(couch: CouchClient): Promise<{ ok: true } | { ok: false; detail: string }> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const result = await auditAccounts(couch, { accountIds: ACCOUNTS.map(([, id]) => id) });
    if (result.findings.length === 0) return { ok: true };
    if (Date.now() > deadline) return { ok: false, detail: renderVerify(verifyReport(result)) };
    await abortableSleep(100);
  }
}

async function readAccounts(couch: CouchClient): Promise<Array<{ name: string; id: string; doc: Record<string, unknown> | undefined }>> {
  return Promise.all(ACCOUNTS.map(async ([name, id]) => ({ name, id, doc: await couch.getDoc(accountDbName(id), PHONE_NUMBERS_DOC_ID) })));
}

async function deleteKeys(target: RedisTarget, prefix: string): Promise<void> {
  const redis = openRedis(target);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
