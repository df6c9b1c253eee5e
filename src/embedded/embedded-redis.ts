import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, type NetConnectOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../util/free-port.js';
import { ensurePrivateDir } from '@kazoo-numbers-sync/embedded-couch';
import { lockDataDir, type DirLock } from './dir-lock.js';
import { renderRedisConf } from './redis-conf.js';
import { staleRedisServers, stopProcesses } from './stale-redis.js';

export interface EmbeddedRedisOptions {
  /** 0 or undefined picks a free port (ignored with unixSocket). */
  port?: number;
  host?: string;
  /** Directory for the AOF files, pidfile and config; omitted means nothing is kept on disk. */
  dataDir?: string;
  /** Append-only file persistence (needs dataDir). */
  appendOnly?: boolean;
  password?: string;
  /**
   * Listen only on a unix socket (mode 0700, in dataDir or a private temporary directory),
   * no TCP port, with a random password unless one is given: the private server of the
   * embedded default, reachable by this user only.
   */
  unixSocket?: boolean;
  binary?: string;
}

export interface EmbeddedRedis {
  /** redis://[:pw@]host:port, or the socket path (password not included: see `password`). */
  url: string;
  /** 0 when listening on a unix socket only. */
  port: number;
  socketPath?: string;
  password?: string;
  pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export class RedisBinaryMissingError extends Error {
  constructor(binary: string) {
    super(`'${binary}' was not found. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_URL to an existing Redis server.`);
    this.name = 'RedisBinaryMissingError';
  }
}

/** sun_path holds 108 bytes on Linux (104 on BSDs); longer socket paths cannot be bound. */
const MAX_SOCKET_PATH = 100;

/**
 * Starts a private redis-server child process and resolves once it answers PING. Every
 * setting, the password included, goes through a 0600 config file, never the command line
 * (visible to every local user). With a dataDir, the directory is locked for this process, a
 * redis-server left on it by a crashed daemon is stopped first, and the files redis-server
 * creates there are 0600. The child gets SIGTERM when this process dies (setpriv --pdeathsig,
 * where available), so it never outlives its daemon.
 */
export async function startEmbeddedRedis(opts: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const binary = opts.binary ?? 'redis-server';
  if (!findExecutable(binary)) throw new RedisBinaryMissingError(binary);
  const host = opts.host ?? '127.0.0.1';
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  const password = opts.password ?? (opts.unixSocket ? randomBytes(24).toString('hex') : undefined);
  const cleanups: Array<() => void> = [];
  const cleanup = () => {
    for (const fn of cleanups.splice(0).reverse()) fn();
  };
  try {
    let confDir: string;
    if (dataDir) {
      ensurePrivateDir(dataDir);
      const lock: DirLock = lockDataDir(dataDir);
      cleanups.push(() => lock.release());
      await stopProcesses(staleRedisServers(dataDir, join(dataDir, 'redis.pid')));
      confDir = dataDir;
    } else {
      confDir = mkdtempSync(join(tmpdir(), 'nsync-redis-'));
      cleanups.push(() => rmSync(confDir, { recursive: true, force: true }));
    }
    let socketPath: string | undefined;
    if (opts.unixSocket) {
      socketPath = join(confDir, 'redis.sock');
      if (socketPath.length > MAX_SOCKET_PATH) {
        const shortDir = mkdtempSync(join(tmpdir(), 'nsync-redis-'));
        cleanups.push(() => rmSync(shortDir, { recursive: true, force: true }));
        socketPath = join(shortDir, 'redis.sock');
      }
    }
    const port = opts.unixSocket ? 0 : opts.port || (await freePort(host));
    const confPath = join(confDir, 'redis.conf');
    const conf = renderRedisConf({
      port,
      bind: host,
      unixSocket: socketPath,
      password,
      dir: dataDir,
      appendOnly: Boolean(opts.appendOnly && dataDir),
      pidFile: dataDir ? join(dataDir, 'redis.pid') : undefined,
    });
    rmSync(confPath, { force: true });
    writeFileSync(confPath, conf, { mode: 0o600, flag: 'wx' });

    const child = spawnPrivate(binary, confPath);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    // The lock and temporary directories go with the server, however it ends.
    void exited.then(cleanup);
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    const target: NetConnectOpts = socketPath ? { path: socketPath } : { host, port };
    await Promise.race([waitForPing(target, child, () => stderr), spawnError]);

    const auth = password ? `:${encodeURIComponent(password)}@` : '';
    const stopWith = async (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
      cleanup();
    };
    return {
      url: socketPath ?? `redis://${auth}${host}:${port}`,
      port,
      ...(socketPath ? { socketPath } : {}),
      ...(password ? { password } : {}),
      pid: child.pid ?? -1,
      stop: () => stopWith('SIGTERM'),
      kill: () => stopWith('SIGKILL'),
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/**
 * redis-server with umask 077 (its AOF and pidfile are then 0600) and, through setpriv, a
 * parent-death signal: redis-server has no option of its own to exit with its parent. sh and
 * setpriv exec, so the child's pid is redis-server's.
 */
function spawnPrivate(binary: string, confPath: string): ChildProcess {
  const withDeathSignal = pdeathsigSupported() ? ['setpriv', '--pdeathsig', 'TERM', '--'] : [];
  return spawn('/bin/sh', ['-c', 'umask 077 && exec "$@"', 'sh', ...withDeathSignal, binary, confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function pdeathsigSupported(): boolean {
  if (process.platform !== 'linux' || !findExecutable('setpriv')) return false;
  const help = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
  return help.status === 0 && help.stdout.includes('--pdeathsig');
}

function findExecutable(name: string): boolean {
  const candidates = name.includes('/')
    ? [name]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, name));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function waitForPing(target: NetConnectOpts, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited early: ${stderr().trim()}`);
    if (await answersPing(target)) return;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on ${'path' in target ? target.path : `${target.host}:${target.port}`} within 10s`);
}

function answersPing(target: NetConnectOpts): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(target);
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
