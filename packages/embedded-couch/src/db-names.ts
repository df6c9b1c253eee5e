// Database names as CouchDB 3 accepts them, and their file-safe form on disk.

const NAME_RE = /^[a-z][a-z0-9_$()+/-]*$/;
// CouchDB allows these system names even though they start with '_'.
const SYSTEM_NAMES = new Set(['_users', '_replicator', '_global_changes']);
// CouchDB's limit: longer names cannot be stored in its shard file names.
const MAX_NAME_LENGTH = 238;

export function isValidDbName(name: string): boolean {
  return SYSTEM_NAMES.has(name) || (name.length <= MAX_NAME_LENGTH && NAME_RE.test(name));
}

export function illegalNameReason(name: string): string {
  return (
    `Name: '${name}'. Only lowercase characters (a-z), digits (0-9), and any of the characters ` +
    '_, $, (, ), +, -, and / are allowed. Must begin with a letter.'
  );
}

/**
 * The PouchDB / leveldb name of a database: 'numbers/+1415' -> 'numbers%2F%2B1415'. Valid names
 * only contain characters that encodeURIComponent either keeps or turns into %XX, so the token
 * is a single safe path segment and decodes back to exactly one name.
 */
export function dbToken(name: string): string {
  return encodeURIComponent(name);
}

/** The database name a directory entry stands for, or undefined for anything we did not create. */
export function nameFromToken(token: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(token);
  } catch {
    return undefined;
  }
  return isValidDbName(name) && dbToken(name) === token ? name : undefined;
}
