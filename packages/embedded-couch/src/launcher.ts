// Starts the embedded server as a child process (startEmbeddedCouch) or in this process (runEmbeddedCouch).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { randomAdmin, type AdminCredentials } from './auth.js';
import { fidelityArgs, type FidelityOptions } from './fidelity.js';
import { withCredentials } from './url-credentials.js';

export interface EmbeddedCouchOptions {
  /** 0 or undefined picks a free port. */
  port?: number;
  host?: string;
  /** leveldb files go here; omitted = in memory (gone when the server stops). */
  dataDir?: string;
  /** The server's only user; omitted = random credentials generated now (see `admin` in the result). */
  admin?: AdminCredentials;
  /** Serve views, which run design-document JavaScript in the server (the benchmark's baseline). Off by default. */
  jsViews?: boolean;
  /** Idle databases kept open on disk (default 128). */
  maxOpenDbs?: number;
  /** 'inherit' forwards the child's stderr (its log) to ours; default 'ignore' keeps only a tail for errors. */
  stdio?: 'inherit' | 'ignore';
  /** How long to wait for the listening line (default 30 s). */
  startTimeoutMs?: number;
  /** CouchDB 3 behaviours to imitate (COUCHDB3_FIDELITY: opaque seqs, batched _db_updates). */
  fidelity?: FidelityOptions;
}

export interface EmbeddedCouch {
  /** http://user:password@127.0.0.1:PORT: for nano and other clients that take credentials from the URL. Never log it unredacted. */
  url: string;
  /** http://127.0.0.1:PORT, without credentials (fetch refuses URLs with credentials: send `admin` as basic auth). */
  baseUrl: string;
  admin: AdminCredentials;
  port: number;
  pid: number;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (crash simulation). */
  kill(): Promise<void>;
  /** Resolves when the server process has exited, stopped or not. */
  exited: Promise<void>;
}

export interface RunningEmbeddedCouch {
  /** Base URL without credentials. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface InProcessCouchOptions {
  port?: number;
  host?: string;
  dataDir?: string;
  admin: AdminCredentials;
  jsViews?: boolean;
  maxOpenDbs?: number;
  fidelity?: FidelityOptions;
}

const STDERR_TAIL_BYTES = 16 * 1024;

export async function startEmbeddedCouch(opts: EmbeddedCouchOptions = {}): Promise<EmbeddedCouch> {
  // Run main.ts through tsx when we are TypeScript ourselves; tsx is resolved from here so the
  // child works whatever its working directory.
  const isTs = import.meta.url.endsWith('.ts');
  const mainPath = fileURLToPath(new URL(isTs ? './main.ts' : './main.js', import.meta.url));
  const loader = isTs ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [];
  const args = [...loader, mainPath, '--port', String(opts.port ?? 0), '--host', opts.host ?? '127.0.0.1', '--exit-with-stdin'];
  if (opts.dataDir) args.push('--data', resolve(opts.dataDir));
  if (opts.jsViews) args.push('--js-views');
  if (opts.maxOpenDbs !== undefined) args.push('--max-open-dbs', String(opts.maxOpenDbs));
  args.push(...fidelityArgs(opts.fidelity));
  // Always an admin: there is no anonymous access. Credentials travel in the environment, not
  // argv (visible to every local user in ps).
  const admin = opts.admin ?? randomAdmin();
  const env = { ...process.env, EMBEDDED_COUCH_ADMIN: `${admin.username}:${admin.password}` };

  // stdin stays open: the child exits when it closes, i.e. when we die without stopping it.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (opts.stdio === 'inherit') process.stderr.write(chunk);
    stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const url = await new Promise<string>((resolveUrl, reject) => {
    let buffered = '';
    const timer = setTimeout(
      () => fail(new Error(`embedded CouchDB did not start within ${opts.startTimeoutMs ?? 30_000} ms: ${stderr.trim()}`)),
      opts.startTimeoutMs ?? 30_000,
    );
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      try {
        const line = JSON.parse(buffered.slice(0, nl)) as { event?: string; url?: string };
        if (line.event === 'listening' && typeof line.url === 'string') return done(line.url);
      } catch {
        // fall through
      }
      fail(new Error(`embedded CouchDB printed an unexpected line: ${buffered.slice(0, nl)}`));
    };
    const onExit = (code: number | null, signal: string | null) =>
      // stderr may still be draining; give it a tick so the message carries the reason.
      setImmediate(() => fail(new Error(`embedded CouchDB exited early (code ${code}, signal ${signal}): ${stderr.trim()}`)));
    const onError = (err: Error) => fail(err);
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.resume(); // nothing else is printed, but never let the pipe fill
    }
    function done(u: string) {
      cleanup();
      resolveUrl(u);
    }
    function fail(err: Error) {
      cleanup();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(err);
    }
  });

  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    child.stdin.destroy();
  };
  return {
    url: withCredentials(url, admin),
    baseUrl: url,
    admin,
    port: Number(new URL(url).port),
    pid: child.pid ?? -1,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
    exited,
  };
}

/** The server in this process (the `numbers-sync couch` command). */
export async function runEmbeddedCouch(opts: InProcessCouchOptions): Promise<RunningEmbeddedCouch> {
  // Loaded lazily: callers that only spawn the child should not load PouchDB and express.
  const { createEmbeddedCouchServer } = await import('./server.js');
  const host = opts.host ?? '127.0.0.1';
  const embedded = await createEmbeddedCouchServer({
    dataDir: opts.dataDir,
    admin: opts.admin,
    bindHost: host,
    jsViews: opts.jsViews,
    maxOpenDbs: opts.maxOpenDbs,
    fidelity: opts.fidelity,
  });
  try {
    await new Promise<void>((resolveListen, reject) => {
      embedded.server.once('error', reject);
      embedded.server.listen(opts.port ?? 0, host, () => {
        embedded.server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    await embedded.close();
    throw err;
  }
  const address = embedded.server.address();
  const port = address && typeof address === 'object' ? address.port : (opts.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${urlHost}:${port}`, port, close: () => embedded.close() };
}
