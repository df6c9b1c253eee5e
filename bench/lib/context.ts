import type { BenchOptions } from './options.js';
import type { ScenarioResult } from './report.js';
import type { WorldServers } from './world.js';
import type { InitialSyncRun } from './initial-sync-run.js';

export interface BenchContext {
  options: BenchOptions;
  servers: WorldServers;
  /** Progress lines (stderr); results go to the table and the JSON. */
  log: (message: string) => void;
  /** Main-data-set syncs by daemon heap cap ('' = none), each run once and shared by the initial-sync and memory scenarios. */
  initialSyncs: Map<string, Promise<InitialSyncRun>>;
}

export type Scenario = (ctx: BenchContext) => Promise<Omit<ScenarioResult, 'durationMs'>>;
