// The embedded server runs no JavaScript from design documents: these are the requests that
// would, answered as a CouchDB with no JavaScript query server answers them.
import { CouchHttpError } from './http.js';

/** Design-document sections whose functions run on request (views only with `jsViews`). */
const FUNCTION_ROUTES = new Set(['_show', '_list', '_update', '_rewrite', '_view', '_search', '_nouveau']);

export function noJavaScript(what: string): CouchHttpError {
  return new CouchHttpError(400, 'unknown_query_language', `javascript: ${what} would run JavaScript, which this server never does`);
}

/**
 * Throws for a request under /{db}/ that would run a design function: `_temp_view`, and
 * `_design/{ddoc}/{_show|_list|_update|_rewrite|_view|...}/...` (views are let through when
 * `jsViews` is set). Storing, reading and deleting design documents stays allowed: they are
 * inert data here, and the daemon must see them in feeds to skip them.
 */
export function refuseDesignFunctions(rest: readonly string[], jsViews: boolean): void {
  if (rest[0] === '_temp_view') throw noJavaScript('temporary views');
  if (rest[0] !== '_design' || rest.length < 3) return;
  const section = rest[2]!;
  if (!FUNCTION_ROUTES.has(section)) return;
  if (section === '_view' && jsViews) return;
  throw noJavaScript(`design document ${section.slice(1)} functions`);
}
