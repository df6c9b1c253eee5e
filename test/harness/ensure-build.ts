import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** What the build reads: a change to any of these makes dist/ stale. */
const INPUTS = ['src', 'workers', 'packages', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

/**
 * Tests that spawn the CLI or the daemon run what ships, the compiled dist/ (bin/numbers-sync.js),
 * and the daemon's code imports the embedded server package from its dist/: build once per run
 * when a source is newer than the last build (`npm run build`), so a run never tests stale output.
 */
export function ensureBuilt(): void {
  const built = mtime(join(ROOT, 'dist', '.built'));
  if (built !== undefined && INPUTS.every((input) => newest(join(ROOT, input)) <= built)) return;
  const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status}): the tests run the compiled dist/`);
}

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Newest modification time of a file, or of the sources under a directory (build output skipped). */
function newest(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name === 'test') continue;
    max = Math.max(max, newest(join(path, entry.name)));
  }
  return max;
}
