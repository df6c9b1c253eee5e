// _all_dbs with CouchDB's range parameters, over the registry's sorted names.
import { badRequest, type Query } from './http.js';

export interface AllDbsRange {
  startkey?: string;
  endkey?: string;
  descending?: boolean;
  inclusiveEnd?: boolean;
  skip?: number;
  limit?: number;
}

export function parseAllDbsQuery(q: Query): AllDbsRange {
  return {
    startkey: key(q, 'startkey') ?? key(q, 'start_key'),
    endkey: key(q, 'endkey') ?? key(q, 'end_key'),
    descending: q.bool('descending'),
    inclusiveEnd: q.bool('inclusive_end', true),
    skip: q.int('skip'),
    limit: q.int('limit'),
  };
}

function key(q: Query, name: string): string | undefined {
  const v = q.json(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be a JSON string`);
  return v;
}

/**
 * `names` must be sorted ascending. With descending=true the range runs from startkey down to
 * endkey, as in CouchDB. Comparison is by UTF-16 code unit, CouchDB's byte order for ASCII names.
 */
export function selectDbNames(names: readonly string[], r: AllDbsRange): string[] {
  const ordered = r.descending ? [...names].reverse() : names;
  const before = (a: string, b: string) => (r.descending ? a > b : a < b);
  const out: string[] = [];
  let skip = r.skip ?? 0;
  const limit = r.limit ?? Infinity;
  for (const name of ordered) {
    if (out.length >= limit) break;
    if (r.startkey !== undefined && before(name, r.startkey)) continue;
    if (r.endkey !== undefined && (before(r.endkey, name) || (r.inclusiveEnd === false && name === r.endkey))) break;
    if (skip > 0) {
      skip--;
      continue;
    }
    out.push(name);
  }
  return out;
}
