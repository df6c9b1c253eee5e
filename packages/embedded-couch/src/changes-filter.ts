// _changes filters turned into PouchDB options: only the built-in ones, which run no user code.
import { noJavaScript } from './design-functions.js';
import { badRequest, type Query } from './http.js';
import type { PouchDatabase } from './pouchdb.js';

type Doc = Record<string, unknown>;

/**
 * `_doc_ids`, `_selector` and `_design` are matched by PouchDB or by us without evaluating
 * anything a client wrote. Design-document filters (`ddoc/name`) and `_view` would run the
 * design document's JavaScript in this process (PouchDB's `vm` shares objects with Node, so a
 * filter could reach `process`): refused, as by a CouchDB without a JavaScript query server.
 */
export async function filterOptions(_db: PouchDatabase, query: Query, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const filter = query.string('filter');
  if (filter === undefined || filter === '') return {};
  switch (filter) {
    case '_doc_ids': {
      const ids = body.doc_ids ?? query.json('doc_ids');
      if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
        throw badRequest('`doc_ids` filter parameter is not a list of doc ids.');
      }
      return { doc_ids: ids };
    }
    case '_selector': {
      const selector = body.selector;
      if (!selector || typeof selector !== 'object' || Array.isArray(selector)) {
        throw badRequest('Selector must be specified in POST payload');
      }
      // A client's regular expression can backtrack for ever (ReDoS) in this single thread.
      if (mentionsKey(selector, '$regex')) throw badRequest('$regex is not supported in selectors by the embedded server');
      // PouchDB matches selectors itself; its errors surface as rejected queries (400).
      return { selector };
    }
    case '_design':
      return { filter: (doc: Doc) => typeof doc._id === 'string' && doc._id.startsWith('_design/') };
    case '_view':
      throw noJavaScript('_view filters');
    default:
      throw noJavaScript('design document filters');
  }
}

function mentionsKey(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((v) => mentionsKey(v, key));
  if (!value || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k === key || mentionsKey(v, key));
}
