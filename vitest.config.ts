import { defineConfig } from 'vitest/config';

/**
 * Pure tests: no server (npm run test:unit, a few seconds). The deploy checks read files and run
 * promtool / systemd-analyze / `numbers-sync --help`, which start nothing.
 */
const UNIT = ['test/unit/**/*.test.ts', 'packages/*/test/unit/**/*.test.ts', 'test/deploy/prometheus-rules.test.ts', 'test/deploy/systemd-units.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests spawn servers; two cores cannot run many files at once.
    maxWorkers: 2,
    pool: 'forks',
    projects: [
      // The build only, when a source is newer than dist/: daemon code imports the embedded server package from its dist/.
      { extends: true, test: { name: 'unit', include: UNIT, globalSetup: ['test/harness/ensure-build.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
          exclude: UNIT,
          // One embedded CouchDB-compatible server and one redis-server for the run (test/harness/global-setup.ts).
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
