import { pino } from 'pino';
import { CouchClient } from '../../src/couch/couch-client.js';
import type { NumberIndex } from '../../src/index/number-index.js';
import { DbDrainer, type DbDrainerOptions } from '../../src/listener/db-drainer.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { RebuildOutbox } from '../../src/queue/outbox.js';
import type { RebuildQueue } from '../../src/queue/rebuild-queue.js';

/**
 * A DbDrainer for a test that drains without a daemon: no queue, so the accounts a page
 * affects stay marked in a held outbox; silent logs, its own metrics.
 */
export function heldDrainer(couchUrl: string, index: NumberIndex, opts: Pick<DbDrainerOptions, 'batchSize'> & Partial<DbDrainerOptions>): DbDrainer {
  const outbox = new RebuildOutbox(index, {} as RebuildQueue);
  outbox.hold();
  return new DbDrainer({ couch: new CouchClient({ url: couchUrl }), index, outbox, logger: pino({ level: 'silent' }), metrics: new Metrics(), ...opts });
}
