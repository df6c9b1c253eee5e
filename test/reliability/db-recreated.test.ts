import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
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
  let daemon: Daemon | undefined;
  const prefix = uniquePrefix('recreated');
  // Nothing but the start-up rescan may find the re-created database: no periodic rescan, no sweep.
  const settings = () => testSettings(couch.url, redisUrl(), prefix, { rescanIntervalMs: 600_000, coalesceMs: 0 });

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A, B], numbersDbs: [DB] }));
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.stop();
  });

  it('removes numbers only the old database held and lists the new ones', async () => {
    for (let i = 1; i <= 6; i++) await fx.putNumber({ _id: n(i), pvt_state: 'in_service', pvt_assigned_to: i <= 4 ? A : B });
    daemon = startTestDaemon(settings());
    await waitFor(async () => (await fx.listed(A)).length === 4 && (await fx.listed(B)).length === 2, { what: 'initial sync' });
    await daemon.stop();
    daemon = undefined;

    await fx.deleteDb(DB);
    await fx.createDb(DB);
    await fx.putNumber({ _id: n(1), pvt_state: 'in_service', pvt_assigned_to: A }); // kept
    await fx.putNumber({ _id: n(7), pvt_state: 'in_service', pvt_assigned_to: B }); // new
    await fx.putNumber({ _id: n(8), pvt_state: 'in_service', pvt_assigned_to: A }); // new

    daemon = startTestDaemon(settings());
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
  }, 60_000);
});
