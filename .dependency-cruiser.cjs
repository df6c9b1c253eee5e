// Import boundaries (npm run check:boundaries). Each rule names the layer it protects; the
// paths are constants so a module that moves (e.g. the embedded server to its own package)
// is repointed in one place.

/** The pure rules of docs/rules.md. */
const RULES = '^src/rules/';
/** Helpers that do no I/O and know nothing of the daemon: the rules may use them. */
const PURE_UTILS = ['^src/util/(backoff|byte-budget|redact)\\.ts$'];
/** The embedded CouchDB-compatible server: a package in all but name. */
const EMBEDDED = '^src/couch/embedded/';
/** What the embedded server may use outside itself: generic helpers only. */
const EMBEDDED_MAY_USE = ['^src/util/private-dir\\.ts$'];
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
      comment: 'The embedded CouchDB-compatible server imports nothing from the daemon (node:*, its packages and generic helpers only).',
      severity: 'error',
      from: { path: EMBEDDED },
      to: { path: '^(src|workers|bin|test|bench)/', pathNot: [EMBEDDED, ...EMBEDDED_MAY_USE] },
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
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
