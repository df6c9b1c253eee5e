// Import boundaries (npm run check:boundaries). Each rule names the layer it protects; the
// paths are constants so a module that moves (e.g. the embedded server to its own package)
// is repointed in one place.

/** The pure rules of docs/rules.md. */
const RULES = '^src/rules/';
/** Helpers that do no I/O and know nothing of the daemon: the rules may use them. */
const PURE_UTILS = ['^src/util/(backoff|byte-budget|redact)\\.ts$'];
/** The embedded CouchDB-compatible server: the workspace package packages/embedded-couch. */
const EMBEDDED = '^packages/embedded-couch/';
/** The generic multi-database follower: knows nothing of numbers. */
const FOLLOWER = '^src/follower/';
/** Production code: never imports tests or the bench. */
const PRODUCTION = '^(src|workers|bin)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'rules-are-pure',
      comment: 'src/rules does no I/O: it imports only itself and pure helpers (no node:*, no package such as nano, ioredis, bullmq or pino).',
      severity: 'error',
      from: { path: RULES },
      to: { pathNot: [RULES, ...PURE_UTILS] },
    },
    {
      name: 'pure-utils-are-pure',
      comment: 'The helpers the rules may use do no I/O either.',
      severity: 'error',
      from: { path: PURE_UTILS },
      to: { pathNot: PURE_UTILS },
    },
    {
      name: 'embedded-server-stands-alone',
      comment: 'The embedded CouchDB-compatible server package (sources and tests) imports nothing from the daemon: node:* and its own dependencies only.',
      severity: 'error',
      from: { path: EMBEDDED },
      to: { path: '^(src|workers|bin|test|bench)/' },
    },
    {
      name: 'follower-knows-no-numbers',
      comment: 'The generic follower calls back the numbers policy; it imports none of the index, queue, rules, rebuild or sweep.',
      severity: 'error',
      from: { path: FOLLOWER },
      to: { path: '^src/(index|queue|rules|rebuild|sweep)/' },
    },
    {
      name: 'production-imports-no-tests',
      comment: 'src/, workers/ and bin/ never import test/ or bench/ code.',
      severity: 'error',
      from: { path: PRODUCTION },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'no-unresolvable',
      comment: 'An import that resolves to nothing would make the rules above pass vacuously.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'] },
  },
};
