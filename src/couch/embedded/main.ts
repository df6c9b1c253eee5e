// Child-process entry: `node --import tsx main.ts --port 0 [--host H] [--data DIR] [--admin user:pw]
// [--fidelity couchdb3] [--seqs integer|couchdb3|scrambled] [--db-updates-delay-ms N]`.
// Prints one line {"event":"listening","url":...} on stdout when ready; logs go to stderr.
import { parseArgs } from 'node:util';
import { runEmbeddedCouch } from './launcher.js';
import type { AdminCredentials } from './auth.js';
import { parseFidelityFlags } from './fidelity.js';

function parseAdmin(spec: string | undefined): AdminCredentials | undefined {
  if (!spec) return undefined;
  const colon = spec.indexOf(':');
  if (colon <= 0) throw new Error('--admin / EMBEDDED_COUCH_ADMIN must be user:password');
  return { username: spec.slice(0, colon), password: spec.slice(colon + 1) };
}

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
  const admin = parseAdmin(values.admin ?? process.env.EMBEDDED_COUCH_ADMIN);

  const fidelity = parseFidelityFlags(values);
  const server = await runEmbeddedCouch({ port, host: values.host, dataDir: values.data, admin, fidelity });
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
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url })}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
