import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildDaemon } from '../harness/child-daemon.js';
import { freePort } from '../../src/util/free-port.js';

export interface EmbeddedDaemonEnv {
  /** Traversable parent (0755), so another user's failure proves the data dir's own mode. */
  parent: string;
  dataDir: string;
  env: Record<string, string>;
}

/** A fresh data dir (not created yet: the daemon creates it) and the env of the embedded default. */
export async function embeddedDaemonEnv(label: string): Promise<EmbeddedDaemonEnv> {
  const parent = await mkdtemp(join(tmpdir(), `nsync-sec-${label}-`));
  await chmod(parent, 0o755);
  const dataDir = join(parent, 'data');
  const port = await freePort();
  return { parent, dataDir, env: { NUMBERS_SYNC_DATA_DIR: dataDir, NUMBERS_SYNC_EMBEDDED_COUCH_PORT: String(port), COUCHDB_URL: '', REDIS_URL: '' } };
}

/** `numbers-sync run` on the embedded default, resolved once its listener leads. */
export async function startEmbeddedDaemon(env: Record<string, string>): Promise<ChildDaemon> {
  const daemon = new ChildDaemon(['run'], env);
  await daemon.waitForLog((r) => r.msg === 'listener lease acquired; following numbers databases', 'listener started', 45_000);
  return daemon;
}
