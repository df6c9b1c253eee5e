import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateCouchWith, redisUrl, uniquePrefix, type CouchHandle } from '../harness/servers.js';
import { testLogger } from '../harness/daemon.js';
import type { CouchFixture } from '../harness/numbers.js';
import { carryCredentials } from '../harness/urls.js';
import { listenerIndex } from '../harness/listener-index.js';
import { indexListing } from '../harness/index-listing.js';
import { waitFor } from '../harness/wait.js';
import { CouchClient } from '../../src/couch/couch-client.js';
import type { NumberIndex } from '../../src/index/number-index.js';
import { AccountRebuilder } from '../../src/rebuild/account-rebuilder.js';
import { AccountDocCache, DocCacheSeal } from '../../src/rebuild/doc-cache.js';
import { accountDbName, PHONE_NUMBERS_DOC_ID } from '../../src/rules/index.js';

const A = '57a1100000000000000000000000000a';
const N1 = '+14158880001';
const N2 = '+14158880002';

/**
 * An HTTP pass-through that delivers the reply to a PUT of the account doc only when released:
 * CouchDB has stored the write, but the rebuild that made it has not heard back (a stalled
 * run whose job another worker took over).
 */
class HoldingProxy {
  private readonly server: Server;
  private heldReply: (() => void) | undefined;
  url = '';

  constructor(
    private readonly target: URL,
    docPath: string,
  ) {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const hold = req.method === 'PUT' && req.url?.split('?')[0] === docPath;
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
        const deliver = () => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        };
        if (hold) this.heldReply = deliver;
        else deliver();
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  get holding(): boolean {
    return this.heldReply !== undefined;
  }

  release(): void {
    this.heldReply?.();
    this.heldReply = undefined;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    // The server's credentials, for clients talking through the proxy.
    this.url = carryCredentials(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`, this.target.href);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('two runs of a stalled rebuild job', () => {
  let couch: CouchHandle;
  let fx: CouchFixture;
  let proxy: HoldingProxy;
  let redis: Redis;
  let index: NumberIndex;
  let epoch: string;
  const seal = new DocCacheSeal(randomBytes(32));

  beforeAll(async () => {
    ({ couch, fx } = await privateCouchWith({ accounts: [A] }));
    proxy = new HoldingProxy(new URL(couch.url), `/${encodeURIComponent(accountDbName(A))}/${PHONE_NUMBERS_DOC_ID}`);
    await proxy.start();
    redis = new Redis(redisUrl());
    index = await listenerIndex(redis, uniquePrefix('stalled-cache'));
    epoch = await index.resetEpoch();
    await index.markReady(epoch);
  });

  afterAll(async () => {
    await proxy?.stop();
    redis?.disconnect();
    await couch?.stop();
  });

  /** Makes the index say the account lists exactly these numbers. */
  const listing = (numbers: string[]) => indexListing(index, epoch, A, [N1, N2], numbers);

  function rebuilder(couchUrl: string): AccountRebuilder {
    const logger = testLogger();
    return new AccountRebuilder({
      couch: new CouchClient({ url: couchUrl }),
      index,
      docCache: new AccountDocCache({ redis, keys: index.keys, seal, logger }),
      logger,
    });
  }

  async function cachedRev(): Promise<unknown> {
    const raw = (await redis.get(index.keys.doc(epoch, A)))!;
    return (JSON.parse(raw.slice(raw.indexOf('{'))) as { _rev?: unknown })._rev;
  }

  it('never leaves the older run’s rev in the cache, and a later rebuild writes what the index says', async () => {
    await listing([N1]);
    // Run 1 writes [N1]; CouchDB stores it, the reply is held.
    const first = rebuilder(proxy.url).rebuild(A);
    await waitFor(() => proxy.holding, { what: 'the first run’s write stored, its reply held' });
    // Run 2 (the job taken over) sees that write, and the index has moved on.
    await listing([N1, N2]);
    expect(await rebuilder(couch.url).rebuild(A)).toBe('written');
    const newest = (await fx.accountDoc(A))!._rev;
    // Run 1 hears back last.
    proxy.release();
    expect(await first).toBe('written');
    expect(await cachedRev()).toBe(newest);

    // The index goes back to what run 1 wrote: the doc must follow it.
    await listing([N1]);
    await rebuilder(couch.url).rebuild(A);
    expect(await fx.listed(A)).toEqual([N1]);
  }, 60_000);
});
