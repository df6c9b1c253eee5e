import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { HttpProxy } from '../harness/http-proxy.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

const A = 'a1ec0000a1ec0000a1ec0000a1ec0000';
const B = 'b1ec0000b1ec0000b1ec0000b1ec0000';
const DB = 'numbers/+1415';
const n = (i: number) => `+1415555${String(1000 + i)}`;

/**
 * A numbers database deleted and re-created while the daemon is down keeps its old checkpoint:
 * without re-creation detection, numbers only in the old database stay listed and the new ones,
 * behind the old checkpoint, are never read. The next start must re-index it from scratch.
 */
describe('numbers database re-created while the daemon is down', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: HttpProxy;
  let daemon: Daemon | undefined;
  /** What the proxy reports as doc_count + doc_del_count of DB (the embedded server has no doc_del_count). */
  let reportedCount = 0;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: [DB] }));
    proxy = new HttpProxy(new URL(couch.url));
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.stop();
    await couch?.stop();
  });

  async function recreateWhileDown(url: string, prefix: string): Promise<void> {
    // Nothing but the start-up rescan may find the re-created database: no periodic rescan, no sweep.
    const settings = testSettings(url, redisUrl(), prefix, { rescanIntervalMs: 600_000, coalesceMs: 0 });
    await fx.deleteDb(DB);
    await fx.createDb(DB);
    for (let i = 1; i <= 6; i++) await fx.putNumber({ _id: n(i), pvt_state: 'in_service', pvt_assigned_to: i <= 4 ? A : B });
    reportedCount = 6;
    daemon = startTestDaemon(settings);
    await waitFor(async () => (await fx.listed(A)).length === 4 && (await fx.listed(B)).length === 2, { what: 'initial sync' });
    await daemon.stop();
    daemon = undefined;

    await fx.deleteDb(DB);
    await fx.createDb(DB);
    await fx.putNumber({ _id: n(1), pvt_state: 'in_service', pvt_assigned_to: A }); // kept
    await fx.putNumber({ _id: n(7), pvt_state: 'in_service', pvt_assigned_to: B }); // new
    await fx.putNumber({ _id: n(8), pvt_state: 'in_service', pvt_assigned_to: A }); // new
    reportedCount = 3;

    daemon = startTestDaemon(settings);
    let listed: unknown;
    await waitFor(
      async () => {
        listed = { A: await fx.listed(A), B: await fx.listed(B) };
        return JSON.stringify(listed) === JSON.stringify({ A: [n(1), n(8)], B: [n(7)] });
      },
      { what: 'the re-created database indexed from scratch', timeoutMs: 20_000 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; listed: ${JSON.stringify(listed)}`);
    });
    expect(await fx.drift([A, B])).toEqual([]);
    await daemon.stop();
    daemon = undefined;
  }

  it('detected by a new shard_suffix: removes numbers only the old database held and lists the new ones', async () => {
    await recreateWhileDown(couch.url, uniquePrefix('recreated-suffix'));
  }, 60_000);

  it('detected by a shrinking doc_count + doc_del_count where shard_suffix is not readable', async () => {
    const dbPath = /^\/numbers%2F%2B1415\/?(\?.*)?$/;
    proxy.intercept = (req) => {
      if (req.url?.startsWith('/_node/')) return { status: 403, body: { error: 'forbidden', reason: 'You are not a server admin.' } };
      if (req.method === 'GET' && dbPath.test(req.url ?? ''))
        return { status: 200, body: { db_name: DB, doc_count: reportedCount, doc_del_count: 0, update_seq: 'opaque' } };
      return undefined;
    };
    await recreateWhileDown(await proxy.start(), uniquePrefix('recreated-count'));
  }, 60_000);
});
