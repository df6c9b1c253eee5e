// Small helpers for untrusted JSON values (docs come from CouchDB, written by anyone).

export type JsonObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own-property write that cannot hit Object.prototype via a '__proto__' key. */
export function setOwn(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Short, safe rendering of an untrusted value for log/report details. */
export function show(value: unknown, max = 80): string {
  let s: string;
  try {
    s = typeof value === 'string' ? JSON.stringify(value.slice(0, max + 1)) : String(JSON.stringify(value));
  } catch {
    s = typeof value;
  }
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

/**
 * Deep equality of JSON-like values. Object key order is ignored (CouchDB does not keep it
 * meaningful), array order is not. Keys holding `undefined` count as absent, as in JSON.
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    const aKeys = Object.keys(a).filter((k) => a[k] !== undefined);
    const bKeys = Object.keys(b).filter((k) => b[k] !== undefined);
    if (aKeys.length !== bKeys.length) return false;
    return aKeys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
