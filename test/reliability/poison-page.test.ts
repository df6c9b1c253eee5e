import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';

const A = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const DB = 'numbers/+1415';

// Issue 15 item 3: "never retry the same failing page forever". Here the server fails every
// page that starts at the first row of a database with its docs (as if that doc broke the
// page), while the row itself and its doc can be read alone.
describe('a page that always fails', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: FaultProxy;
  let daemon: Daemon | undefined;

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A], numbersDbs: [DB] }));
    proxy = await startFaultProxy(couch.url, (req) => {
      const url = new URL(req.url ?? '', 'http://x');
      return url.pathname.endsWith('/_changes') && url.searchParams.get('include_docs') === 'true' && ['0', null].includes(url.searchParams.get('since'));
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await proxy?.close();
    await couch?.stop();
  });

  it('shrinks the page to one row, reads that row on its own and moves on', async () => {
    const numbers = Array.from({ length: 20 }, (_, i) => `+1415555${String(i).padStart(4, '0')}`);
    for (const number of numbers) await fx.putNumber({ _id: number, pvt_state: 'in_service', pvt_assigned_to: A });
    daemon = startTestDaemon(testSettings(proxy.url, redisUrl(), uniquePrefix('poison')));
    await waitFor(async () => (await fx.listed(A)).length === numbers.length, { what: 'every number listed', timeoutMs: 60_000 });
    expect(await fx.listed(A)).toEqual(numbers);
    // The failing page was asked with fewer and fewer rows, down to one.
    const limits = proxy.failed.map((f) => Number(new URL(f.path, 'http://x').searchParams.get('limit')));
    expect(limits.at(-1)).toBe(1);
  }, 90_000);
});
