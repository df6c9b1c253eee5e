import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskCouch } from '../harness/disk-couch.js';
import { redisUrl, uniquePrefix } from '../harness/servers.js';
import { startTestDaemon, testSettings } from '../harness/daemon.js';
import { CouchFixture } from '../harness/numbers.js';
import { LogCapture } from '../harness/log-capture.js';
import { Random } from '../harness/random.js';
import { waitFor } from '../harness/wait.js';
import type { Daemon } from '../../src/daemon.js';
import { accountDbName } from '../../src/rules/index.js';

const rnd = new Random(1111);
const accounts = Array.from({ length: 4 }, () => rnd.hex(32));
const PREFIXES = ['+1415', '+4420'];
const numbers = PREFIXES.flatMap((p) => Array.from({ length: 15 }, (_, i) => `${p}555${String(1000 + i)}`));

interface Row {
  seq: unknown;
}

/**
 * The daemon treats seqs as opaque: it only passes back what the server gave it. On a server
 * whose seqs sort neither as numbers nor as strings, and spell one position differently each
 * time (the embedded server's `scrambled` seqs), it still syncs everything, resumes from its
 * checkpoints after its own restart and after the server's.
 */
describe('opaque seqs', () => {
  let couch: DiskCouch;
  let fx: CouchFixture;
  let daemon: Daemon | undefined;
  const prefix = uniquePrefix('opaque');

  beforeAll(async () => {
    couch = await DiskCouch.start('opaque-seqs', { seqs: 'scrambled', dbUpdatesDelayMs: 500 });
    fx = new CouchFixture(couch.url);
    await fx.createDbsReported([...accounts.map(accountDbName), ...PREFIXES.map((p) => `numbers/${p}`)]);
  });

  afterAll(async () => {
    await daemon?.stop();
    await couch?.close();
  });

  async function writeSome(count: number, version: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      await fx.putNumber({
        _id: rnd.pick(numbers),
        pvt_state: rnd.pick(['in_service', 'reserved', 'available']),
        pvt_assigned_to: rnd.pick(accounts),
        pvt_modified: version + i,
      });
    }
  }

  async function zeroDrift(what: string): Promise<void> {
    let drift: unknown[] = [];
    await waitFor(async () => (drift = await fx.drift(accounts)).length === 0, { what, timeoutMs: 30_000 }).catch((err: Error) => {
      throw new Error(`${err.message}\n${JSON.stringify(drift).slice(0, 1500)}`);
    });
  }

  it('the server really hands out seqs that do not sort and differ for one position', async () => {
    await writeSome(30, 0);
    const page = await fx.couch.changes('numbers/+1415', { since: 0, limit: 1000, includeDocs: false });
    const seqs = page.results.map((r: Row) => String(r.seq));
    expect(seqs.length).toBeGreaterThan(5);
    expect([...seqs].sort()).not.toEqual(seqs);
    expect([...seqs].sort((a, b) => parseInt(a, 10) - parseInt(b, 10))).not.toEqual(seqs);
    const now1 = await fx.couch.changes('numbers/+1415', { since: 'now', limit: 1, includeDocs: false });
    const now2 = await fx.couch.changes('numbers/+1415', { since: 'now', limit: 1, includeDocs: false });
    expect(now1.last_seq).not.toEqual(now2.last_seq);
    // Any spelling works as since: both name the end of the feed.
    expect((await fx.couch.changes('numbers/+1415', { since: now1.last_seq, limit: 10, includeDocs: false })).results).toEqual([]);
    // A position in the middle: exactly the rows after it follow.
    const after = await fx.couch.changes('numbers/+1415', { since: page.results[2]!.seq, limit: 1000, includeDocs: false });
    expect(after.results.map((r: Row) => String(r.seq).split('-')[1])).toEqual(seqs.slice(3).map((s) => s.split('-')[1]));
  });

  it('syncs everything, resumes from checkpoints after a daemon restart and after a server restart', async () => {
    const log = new LogCapture();
    const settings = testSettings(couch.url, redisUrl(), prefix, { batchSize: 5 });
    daemon = startTestDaemon(settings, { logger: log.logger });
    await zeroDrift('zero drift after the first sync');

    await daemon.stop();
    daemon = undefined;
    await writeSome(40, 1000);
    const second = log.mark();
    daemon = startTestDaemon(settings, { logger: log.logger });
    const resumed = await log.waitForLog((r) => r.msg === 'index found; resuming from checkpoints', 'resume', { from: second });
    expect(resumed.checkpoints).toBe(PREFIXES.length);
    await zeroDrift('zero drift after the daemon restart');
    const pages = log.records(second).filter((r) => r.msg === 'changes page applied');
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.filter((r) => r.since === 0)).toEqual([]);

    // The server restarts: every seq is now spelled differently, old ones still work as since.
    const third = log.mark();
    const port = couch.port;
    await couch.stopServer();
    await couch.startServer(port);
    await writeSome(40, 2000);
    await zeroDrift('zero drift after the server restart');
    expect(log.records(third).filter((r) => r.msg === 'changes page applied' && r.since === 0)).toEqual([]);
  }, 90_000);
});
