import type { Command } from 'commander';
import { chooseAdmin, runEmbeddedCouch } from '@kazoo-numbers-sync/embedded-couch';

export function addCouchCommand(program: Command): void {
  program
    .command('couch')
    .description('Run the embedded CouchDB-compatible server (PouchDB based) in the foreground.')
    .option('--port <port>', 'port to listen on (0 = free port)', '5984')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--data <dir>', 'data directory (omit for in-memory)')
    .option('--admin <user:password>', 'admin credentials (visible in ps: prefer EMBEDDED_COUCH_ADMIN; random ones are printed when neither is set)')
    .action(async (opts: { port: string; host: string; data?: string; admin?: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${opts.port}`);
      const { admin, generated, warning } = chooseAdmin(opts.admin, process.env.EMBEDDED_COUCH_ADMIN);
      if (warning) process.stderr.write(`warning: ${warning}\n`);
      // The data directory and leveldb files are private to this user.
      process.umask(0o077);
      const server = await runEmbeddedCouch({ port, host: opts.host, dataDir: opts.data, admin });
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, ...(generated ? { admin } : {}) })}\n`);
      const close = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', close);
      process.once('SIGINT', close);
    });
}
