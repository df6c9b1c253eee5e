import { chmodSync, mkdirSync, statSync } from 'node:fs';

/**
 * Creates `dir` (and missing parents) readable by this user only (0700), and tightens it when
 * it already exists with group/other bits and belongs to us: data files of the embedded
 * servers must not be readable by other local users.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) !== 0 && st.uid === process.getuid?.()) chmodSync(dir, 0o700);
}
