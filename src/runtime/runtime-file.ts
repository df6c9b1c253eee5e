import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * Which embedded servers a process started for a data directory, so that CLI commands run
 * next to a daemon reach *its* CouchDB and Redis instead of starting second ones on the same
 * files. The URLs of embedded servers carry no credentials.
 */
export interface EmbeddedServicesRecord {
  pid: number;
  couchUrl?: string;
  redisUrl?: string;
}

const FILE_NAME = 'embedded-services.json';

export function runtimeFilePath(dataDir: string): string {
  return join(resolve(dataDir), FILE_NAME);
}

export async function writeRuntimeRecord(dataDir: string, record: EmbeddedServicesRecord): Promise<void> {
  const path = runtimeFilePath(dataDir);
  await mkdir(resolve(dataDir), { recursive: true });
  // Write then rename: a reader never sees half a file.
  const tmp = `${path}.${record.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** The record, or undefined when there is none or it is unreadable. */
export async function readRuntimeRecord(dataDir: string): Promise<EmbeddedServicesRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(runtimeFilePath(dataDir), 'utf8')) as Partial<EmbeddedServicesRecord>;
    if (typeof parsed.pid !== 'number') return undefined;
    return {
      pid: parsed.pid,
      ...(typeof parsed.couchUrl === 'string' ? { couchUrl: parsed.couchUrl } : {}),
      ...(typeof parsed.redisUrl === 'string' ? { redisUrl: parsed.redisUrl } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Removes the record if it is still the one `pid` wrote. */
export async function removeRuntimeRecord(dataDir: string, pid: number): Promise<void> {
  const current = await readRuntimeRecord(dataDir);
  if (current?.pid === pid) await rm(runtimeFilePath(dataDir), { force: true });
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
