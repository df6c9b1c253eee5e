import type { RepairCounts } from './repair-kinds.js';

/** Outcome of re-reading one numbers database from the start into the index. */
export interface ReindexResult {
  db: string;
  /** Rows read from _changes by the full read. */
  read: number;
  /** What was wrong in the index, by kind (also counted in numbers_sync_repairs_total). */
  repairs: RepairCounts;
  ms: number;
}

/** A reindex asked of the drain scheduler (merged with any other request for the same database). */
export interface ReindexRequest {
  reason: 'sweep' | 'command' | 'created' | 'recreated' | 'checkpoint';
  /** Called after each page read with its row count; may wait (the sweep's read-rate bound). */
  throttle?: (rows: number) => Promise<void>;
  /** Told the outcome; not called when the session stops first. */
  done?: (outcome: ReindexResult | Error) => void;
}
