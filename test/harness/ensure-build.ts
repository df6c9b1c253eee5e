import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Tests that spawn the CLI or the daemon run what ships, the compiled dist/ (bin/numbers-sync.js),
 * and the daemon's code imports the embedded server package from its dist/: build once per run
 * when a source is newer than the last build, so a run never tests stale output.
 */
export default function ensureBuilt(): void {
  const result = spawnSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`the build failed (exit ${result.status}): tests run the compiled dist/`);
}
