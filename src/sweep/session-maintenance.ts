import { AntiEntropySweep, type SweepOptions } from './anti-entropy-sweep.js';
import { serveReindexRequests } from './reindex-commands.js';

/** Started by each follow session (the lease holder): the anti-entropy sweep and on-demand reindexes. */
export function startIndexMaintenance(opts: SweepOptions): AntiEntropySweep {
  serveReindexRequests(opts);
  const sweep = new AntiEntropySweep(opts);
  sweep.start();
  return sweep;
}
