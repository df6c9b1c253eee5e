// `npm run build` (and `prepare`, so `npm ci` builds): compiles each workspace package, then the
// daemon, to dist/ with tsc, and copies the non-TypeScript files that code reads at run time
// (the .lua scripts) beside the compiled JS. dist/.built marks a finished build.
// `--if-stale` (test runs, the bench): only when a build input is newer than the last build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(root, 'packages', e.name, 'tsconfig.build.json')))
  .map((e) => join(root, 'packages', e.name));

/** What the build reads: a change to any of these makes dist/ stale. */
const INPUTS = ['src', 'workers', 'packages', 'scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
const stamp = join(root, 'dist', '.built');
if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (INPUTS.every((input) => newest(join(root, input)) <= built)) process.exit(0);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // A production install (npm ci --omit=dev) has no compiler; its dist/ comes from a build
  // elsewhere (the Dockerfile's build stage).
  if (process.env.npm_lifecycle_event === 'prepare') {
    console.error('build: typescript is not installed (production install), skipping the build');
    process.exit(0);
  }
  console.error('build: typescript is not installed: run npm ci (with dev dependencies) first');
  process.exit(1);
}

for (const dir of [...packages, root]) {
  const out = join(dir, 'dist');
  rmSync(out, { recursive: true, force: true });
  const built = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.build.json')], { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error(`build: tsc failed for ${relative(root, dir) || 'the daemon'}`);
    process.exit(built.status ?? 1);
  }
}
for (const from of ['src', 'workers']) copyAssets(join(root, from), join(root, 'dist', from));
for (const dir of packages) copyAssets(join(dir, 'src'), join(dir, 'dist'));
writeFileSync(stamp, `${new Date().toISOString()}\n`);

/** Newest modification time of a file, or of the sources under a directory (outputs and tests skipped). */
function newest(path) {
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

/** Every file under `from` that tsc does not emit (not .ts), to the same place under `to`. */
function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue;
    const source = join(entry.parentPath ?? entry.path, entry.name);
    const target = join(to, relative(from, source));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(source, target);
  }
}
