import type { Command } from 'commander';
import { runEmbeddedCouch } from '../../couch/embedded/launcher.js';

export function addCouchCommand(program: Command): void {
  program
    .command('couch')
    .description('Run the embedded CouchDB-compatible server (PouchDB based) in the foreground.')
    .option('--port <port>', 'port to listen on (0 = free port)', '5984')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--data <dir>', 'data directory (omit for in-memory)')
    .option('--admin <user:password>', 'require these admin credentials (or EMBEDDED_COUCH_ADMIN)')
    .action(async (opts: { port: string; host: string; data?: string; admin?: string }) => {
      const adminSpec = opts.admin ?? process.env.EMBEDDED_COUCH_ADMIN;
      const [username, ...rest] = (adminSpec ?? '').split(':');
      const admin = adminSpec && username && rest.length > 0 ? { username, password: rest.join(':') } : undefined;
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: not a port number: ${opts.port}`);
      const server = await runEmbeddedCouch({ port, host: opts.host, dataDir: opts.data, admin });
      process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url })}\n`);
      const close = () => void server.close().then(() => process.exit(0));
      process.once('SIGTERM', close);
      process.once('SIGINT', close);
    });
}
