import type { Scenario } from '../lib/context.js';
import type { ScenarioName } from '../lib/options.js';
import { initialSync } from './initial-sync.js';
import { naive } from './naive.js';
import { steady } from './steady.js';
import { burst } from './burst.js';
import { memory } from './memory.js';
import { workers } from './workers.js';
import { sweep } from './sweep.js';
import { idleRescan } from './idle-rescan.js';

export const SCENARIO_RUNNERS: Record<ScenarioName, Scenario> = {
  'initial-sync': initialSync,
  naive,
  steady,
  burst,
  memory,
  workers,
  sweep,
  'idle-rescan': idleRescan,
};
