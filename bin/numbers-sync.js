#!/usr/bin/env node
// Runs the compiled daemon (dist/, built by `npm run build`, which `npm ci` runs as `prepare`).
// For the TypeScript sources without a build: `npm run dev` (tsx, a dev dependency).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('numbers-sync: dist/ is missing (no build): run `npm run build` (npm ci does it), or `npm run dev` for the sources\n');
  process.exit(2);
}
await import(main.href);
