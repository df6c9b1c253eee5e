import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startTestCouch, type TestCouch } from '../harness/test-couch.js';
import { CouchClient } from '../../src/couch/couch-client.js';
import { LiveFeeds } from '../../src/follower/live-feeds.js';
import { waitFor } from '../harness/wait.js';
import { freshName } from '../harness/ids.js';

/** The pool of live _changes feeds on its own, against the embedded server (CouchDB 3 fidelity). */
describe('live _changes feeds', () => {
  let couch: TestCouch;
  let client: CouchClient;
  let controller: AbortController;
  const dbs = Array.from({ length: 3 }, (_, i) => `${freshName('live')}/${i}`);

  beforeAll(async () => {
    couch = await startTestCouch();
    client = new CouchClient({ url: couch.url });
    for (const db of dbs) await client.request({ method: 'put', db });
  });

  afterEach(() => controller?.abort());

  afterAll(async () => {
    await couch?.stop();
  });

  const pool = (size: number, seen: string[], sizes: number[] = []) => {
    controller = new AbortController();
    return new LiveFeeds({
      couch: client,
      logger: pino({ level: 'silent' }),
      size,
      feedTimeoutMs: 60_000,
      signal: controller.signal,
      onChange: (db) => seen.push(db),
      onSize: (n) => sizes.push(n),
    });
  };
  const put = (db: string) => client.putDoc(db, { _id: freshName('doc') });

  it('keeps at most `size` feeds, on the databases touched last, and reports changes only there', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    const feeds = pool(2, seen, sizes);
    const [d0, d1, d2] = dbs as [string, string, string];
    feeds.touch(d0);
    feeds.touch(d1);
    feeds.touch(d0); // d0 is now the most recent: d1 goes when d2 comes
    feeds.touch(d2);
    expect(feeds.open).toEqual([d0, d2]);
    expect(Math.max(...sizes)).toBe(2);
    // Each feed starts from "now" (when its request reaches the server): write until it is seen.
    const writeUntilSeen = (db: string) =>
      waitFor(
        async () => {
          await put(db);
          return seen.includes(db);
        },
        { intervalMs: 200, what: `change of ${db} reported` },
      );
    await put(d1);
    await writeUntilSeen(d2);
    await writeUntilSeen(d0);
    await put(d1);
    expect(seen).not.toContain(d1);
  });

  it('ends the feed of a deleted database and says so; size 0 opens none', async () => {
    const seen: string[] = [];
    const feeds = pool(4, seen);
    const gone = `${freshName('live')}/gone`;
    await client.request({ method: 'put', db: gone });
    feeds.touch(gone);
    await client.request({ method: 'delete', db: gone });
    await waitFor(() => !feeds.open.includes(gone), { what: 'feed of the deleted database closed' });
    expect(seen).toContain(gone);

    const none = pool(0, []);
    none.touch(dbs[0]!);
    expect(none.open).toEqual([]);
  });
});
