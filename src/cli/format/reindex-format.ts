import type { ReindexOutcome } from '../../sweep/reindex-runner.js';
import { plural } from './verify-format.js';

/** One line per database: what the full read found wrong in the index (pure). */
export function reindexLine(outcome: ReindexOutcome): string {
  if ('error' in outcome) return `${outcome.db}  failed: ${outcome.error}`;
  const repairs = Object.entries(outcome.repairs)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return `${outcome.db}  read ${plural(outcome.read, 'row')}: ${repairs ? `repaired ${repairs}` : 'index correct'} (${(outcome.ms / 1000).toFixed(1)} s)`;
}

export function reindexSummary(outcomes: readonly ReindexOutcome[]): string {
  const failed = outcomes.filter((o) => 'error' in o).length;
  const repaired = outcomes.filter((o) => !('error' in o) && Object.keys(o.repairs).length > 0).length;
  return `reindex: ${plural(outcomes.length, 'numbers database')}, ${repaired} repaired, ${failed} failed`;
}
