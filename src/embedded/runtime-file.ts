import { lstat, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensurePrivateDir } from '@kazoo-numbers-sync/embedded-couch';
import { processAlive } from './process-identity.js';

export { processAlive };

/**
 * Which embedded servers a process started for a data directory, and the credentials to use
 * them, so that CLI commands run next to a daemon reach *its* CouchDB and Redis instead of
 * starting second ones on the same files. The file is 0600 in a 0700 directory: only the
 * daemon's user can read it.
 */
export interface EmbeddedServicesRecord {
  pid: number;
  /** Start time of `pid` (see process-identity.ts), so a recycled pid is not taken for the daemon. */
  startedAt?: string;
  /** URL of the embedded CouchDB-compatible server, with its admin credentials. */
  couchUrl?: string;
  /** Unix socket path of the private redis-server (no credentials: see redisPassword). */
  redisUrl?: string;
  redisPassword?: string;
}

const FILE_NAME = 'embedded-services.json';

export function runtimeFilePath(dataDir: string): string {
  return join(resolve(dataDir), FILE_NAME);
}

export async function writeRuntimeRecord(dataDir: string, record: EmbeddedServicesRecord): Promise<void> {
  const path = runtimeFilePath(dataDir);
  ensurePrivateDir(resolve(dataDir));
  // Write then rename: a reader never sees half a file. A fresh file, so the mode applies.
  const tmp = `${path}.${record.pid}.tmp`;
  await rm(tmp, { force: true });
  await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'wx' });
  await rename(tmp, path);
}

/** The record, or undefined when there is none or it is unreadable. */
export async function readRuntimeRecord(dataDir: string): Promise<EmbeddedServicesRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(runtimeFilePath(dataDir), 'utf8')) as Record<string, unknown>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      ...(typeof parsed.startedAt === 'string' ? { startedAt: parsed.startedAt } : {}),
      ...(typeof parsed.couchUrl === 'string' ? { couchUrl: parsed.couchUrl } : {}),
      ...(typeof parsed.redisUrl === 'string' ? { redisUrl: parsed.redisUrl } : {}),
      ...(typeof parsed.redisPassword === 'string' ? { redisPassword: parsed.redisPassword } : {}),
    };
  } catch {
    return undefined;
  }
}

/**
 * Why the record may not be trusted, or undefined when it may: it must be a regular file of
 * the current user that nobody else can read or write (anyone able to write it could point
 * commands at a server of their own).
 */
export async function untrustedRecordReason(dataDir: string): Promise<string | undefined> {
  const st = await lstat(runtimeFilePath(dataDir));
  if (!st.isFile()) return 'not a regular file';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `owned by uid ${st.uid}, not by the current user (${uid})`;
  if ((st.mode & 0o077) !== 0) return `mode ${(st.mode & 0o777).toString(8)} lets other users read or write it (must be 600)`;
  return undefined;
}

/** Removes the record if it is still the one `pid` wrote. */
export async function removeRuntimeRecord(dataDir: string, pid: number): Promise<void> {
  const current = await readRuntimeRecord(dataDir);
  if (current?.pid === pid) await rm(runtimeFilePath(dataDir), { force: true });
}
