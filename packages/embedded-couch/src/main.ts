// Child-process entry: `node --import tsx main.ts --port 0 [--host H] [--data DIR] [--js-views]
// [--max-open-dbs N] [--fidelity couchdb3] [--seqs integer|couchdb3|scrambled] [--db-updates-delay-ms N]`,
// admin credentials in EMBEDDED_COUCH_ADMIN=user:password (random ones when unset).
// Prints one line {"event":"listening","url":...} on stdout when ready; logs go to stderr.
import { parseArgs } from 'node:util';
import { chooseAdmin } from './admin-source.js';
import { runEmbeddedCouch } from './launcher.js';
import { parseFidelityFlags } from './fidelity.js';

// Everything this process creates (data directory, leveldb files) is private to its user.
process.umask(0o077);

// Once the parent is gone, writes to our stdio pipes fail with EPIPE; an unhandled stream error
// would re-enter the uncaught-exception logger below and spin. Losing log lines is fine.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

function log(message: string): void {
  if (process.stderr.writable) process.stderr.write(`embedded couch: ${message}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string' },
      admin: { type: 'string' },
      'js-views': { type: 'boolean', default: false },
      'max-open-dbs': { type: 'string' },
      fidelity: { type: 'string' },
      seqs: { type: 'string' },
      'db-updates-delay-ms': { type: 'string' },
      // Set by the launcher: exit when the parent's end of stdin closes (the parent died).
      'exit-with-stdin': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${values.port}`);
  const maxOpenDbs = values['max-open-dbs'] === undefined ? undefined : Number(values['max-open-dbs']);
  if (maxOpenDbs !== undefined && !(Number.isInteger(maxOpenDbs) && maxOpenDbs > 0))
    throw new Error(`--max-open-dbs: not a positive integer: ${values['max-open-dbs']}`);
  const { admin, generated, warning } = chooseAdmin(values.admin, process.env.EMBEDDED_COUCH_ADMIN);
  if (warning) log(warning);
  delete process.env.EMBEDDED_COUCH_ADMIN; // nothing below needs it

  const fidelity = parseFidelityFlags(values);
  const server = await runEmbeddedCouch({ port, host: values.host, dataDir: values.data, admin, jsViews: values['js-views'], maxOpenDbs, fidelity });
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log(`${why}, shutting down`);
    // A hung close must not keep a stopped server alive.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log(`close failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (values['exit-with-stdin']) {
    process.stdin.on('end', () => stop('parent went away'));
    process.stdin.on('error', () => stop('parent went away'));
    process.stdin.resume();
  }
  // A stray exception in a library callback must not take every database down with it;
  // requests in flight may fail, the server stays up.
  process.on('uncaughtException', (err) => log(`uncaught exception: ${err.stack ?? String(err)}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${String(err)}`));
  // Generated credentials are shown once, to whoever started us; given ones are never echoed.
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, ...(generated ? { admin } : {}) })}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
