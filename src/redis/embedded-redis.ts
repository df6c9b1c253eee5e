import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../util/free-port.js';

export interface EmbeddedRedisOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  host?: string;
  /** Directory for the AOF / dump files; omitted means nothing is kept on disk. */
  dataDir?: string;
  /** Append-only file persistence (needs dataDir). */
  appendOnly?: boolean;
  password?: string;
  binary?: string;
}

export interface EmbeddedRedis {
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export class RedisBinaryMissingError extends Error {
  constructor(binary: string) {
    super(
      `'${binary}' was not found. Install it (Debian/Ubuntu: apt-get install -y redis-server) ` +
        'or set REDIS_URL to an existing Redis server.',
    );
    this.name = 'RedisBinaryMissingError';
  }
}

/** Starts a private redis-server child process and resolves once it answers PING. */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port || (await freePort(host));
  const binary = opts.binary ?? 'redis-server';
  const args = ['--port', String(port), '--bind', host, '--save', '', '--daemonize', 'no'];
  // Without an explicit no, redis-server would write dump.rdb into the current directory.
  args.push('--appendonly', opts.appendOnly && opts.dataDir ? 'yes' : 'no');
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('--dir', opts.dataDir);
  }
  if (opts.password) args.push('--requirepass', opts.password);
  // Our queue must never lose keys to eviction.
  args.push('--maxmemory-policy', 'noeviction');

  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new RedisBinaryMissingError(binary) : err),
    ),
  );

  await Promise.race([waitForPing(host, port, child, () => stderr), spawnError]);

  const auth = opts.password ? `:${encodeURIComponent(opts.password)}@` : '';
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `redis://${auth}${host}:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

async function waitForPing(host: string, port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited early: ${stderr().trim()}`);
    if (await answersPing(host, port)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on ${host}:${port} within 10s`);
}

function answersPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    // A password-protected server answers NOAUTH, which still proves it is up.
    socket.once('data', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
