import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` (and missing parents) readable by this user only (0700), and tightens it when
 * it already exists with group/other bits: data files of the embedded servers must not be
 * readable by other local users.
 *
 * A directory is only private if nobody else controls it, so this throws instead when `dir`
 * belongs to another user (who could unlink the Redis socket and listen at its path, or
 * replace files), or when a directory above it can be written by others without the sticky
 * bit (they could rename `dir` away and put their own in its place). /tmp (sticky) is fine.
 */
export function ensurePrivateDir(dir: string): void {
  const uid = process.getuid?.();
  const path = resolve(dir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = statSync(path);
  if (uid === undefined) return; // no POSIX owners (Windows)
  if (st.uid !== uid) throw new Error(`data directory ${path} is owned by uid ${st.uid}, not by this user (${uid}): refusing to keep private files in it`);
  for (let parent = dirname(path); ; parent = dirname(parent)) {
    const p = statSync(parent);
    const sticky = (p.mode & 0o1000) !== 0;
    if ((p.mode & 0o022) !== 0 && !sticky) {
      throw new Error(
        `data directory ${path} is under ${parent}, which is writable by other users (mode ${(p.mode & 0o7777).toString(8)}): they could replace it`,
      );
    }
    if (parent === dirname(parent)) break;
  }
  if ((st.mode & 0o077) !== 0) chmodSync(path, 0o700);
}
