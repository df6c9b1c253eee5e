import type { NumberIndex } from '../index/number-index.js';
import type { Logger } from '../log/logger.js';
import { abortableSleep } from '../util/abortable-sleep.js';
import type { ReindexRequest } from './reindex-request.js';

const POLL_MS = 1000;

/**
 * Runs the reindexes `numbers-sync reindex` queued in Redis (src/cli/commands/reindex-command.ts)
 * in the lease holder's drain scheduler, and reports each outcome back under the request id.
 */
export function serveReindexRequests(opts: {
  index: NumberIndex;
  logger: Logger;
  reindex: (db: string, request: ReindexRequest) => void;
  signal: AbortSignal;
}): void {
  const { index, logger, signal } = opts;
  void (async () => {
    while (!signal.aborted) {
      try {
        for (const { id, db } of await index.takeReindexRequests(100)) {
          logger.info({ db, request: id }, 'reindex requested by command');
          opts.reindex(db, {
            reason: 'command',
            done: (outcome) => {
              const json = JSON.stringify(outcome instanceof Error ? { db, error: outcome.message } : outcome);
              index.reportReindex(id, json).catch((err: unknown) => logger.warn({ db, err: String(err) }, 'could not report a reindex result'));
            },
          });
        }
      } catch (err) {
        logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'could not read reindex requests');
      }
      await abortableSleep(POLL_MS, signal);
    }
  })();
}
