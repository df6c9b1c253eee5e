// How closely the embedded server imitates CouchDB 3 where clients can get it wrong.
import { SEQ_STYLES, type SeqStyle } from './seq-codec.js';

export interface FidelityOptions {
  /** Spelling of _changes seqs, `update_seq` and _db_updates seqs (default `integer`). */
  seqs?: SeqStyle;
  /**
   * _db_updates events are held and published in batches this often, like CouchDB's
   * `[global_changes] max_write_delay` (500 ms by default there). 0 = at once (default).
   */
  dbUpdatesDelayMs?: number;
}

/** CouchDB 3 as it behaves out of the box; what the test harness and the bench run. */
export const COUCHDB3_FIDELITY: Required<FidelityOptions> = { seqs: 'couchdb3', dbUpdatesDelayMs: 500 };

/** Command-line flags of main.ts carrying these options to the child process. */
export function fidelityArgs(f: FidelityOptions = {}): string[] {
  const args: string[] = [];
  if (f.seqs !== undefined) args.push('--seqs', f.seqs);
  if (f.dbUpdatesDelayMs !== undefined) args.push('--db-updates-delay-ms', String(f.dbUpdatesDelayMs));
  return args;
}

/** Validates main.ts's flags; `--fidelity couchdb3` is the preset, separate flags override it. */
export function parseFidelityFlags(flags: { fidelity?: string; seqs?: string; 'db-updates-delay-ms'?: string }): FidelityOptions {
  let out: FidelityOptions = {};
  if (flags.fidelity !== undefined) {
    if (flags.fidelity !== 'couchdb3') throw new Error(`--fidelity: only 'couchdb3' is known, not '${flags.fidelity}'`);
    out = { ...COUCHDB3_FIDELITY };
  }
  if (flags.seqs !== undefined) {
    if (!SEQ_STYLES.includes(flags.seqs as SeqStyle)) throw new Error(`--seqs: one of ${SEQ_STYLES.join(', ')}, not '${flags.seqs}'`);
    out.seqs = flags.seqs as SeqStyle;
  }
  if (flags['db-updates-delay-ms'] !== undefined) {
    const ms = Number(flags['db-updates-delay-ms']);
    if (!Number.isInteger(ms) || ms < 0 || ms > 60_000)
      throw new Error(`--db-updates-delay-ms: an integer from 0 to 60000, not '${flags['db-updates-delay-ms']}'`);
    out.dbUpdatesDelayMs = ms;
  }
  return out;
}
