// _changes filters turned into PouchDB options, without ever throwing out of a callback.
import vm from 'node:vm';
import { badRequest, CouchHttpError, type Query } from './http.js';
import type { PouchDatabase } from './pouchdb.js';

type Doc = Record<string, unknown>;

/**
 * PouchDB's own handling of design-document filters compiles the source inside a callback,
 * so a syntax error there is an uncaught exception that kills the process (reproduced with
 * express-pouchdb). We fetch and compile here instead, where errors become 400 replies, and
 * hand PouchDB a plain function. A filter that throws at run time excludes the document, as
 * in CouchDB.
 */
export async function filterOptions(
  db: PouchDatabase,
  query: Query,
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
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
      // PouchDB matches selectors itself; its errors surface as rejected queries (400).
      return { selector };
    }
    case '_design':
      return { filter: (doc: Doc) => typeof doc._id === 'string' && doc._id.startsWith('_design/') };
    case '_view': {
      const [ddoc, view] = splitName(query.string('view') ?? '', '`view` filter parameter is not provided.');
      const source = await designFunction(db, ddoc, 'views', view, 'map');
      return { filter: compileViewFilter(source) };
    }
    default: {
      const [ddoc, name] = splitName(filter, 'filter parameter must be of the form `designname/filtername`');
      const source = await designFunction(db, ddoc, 'filters', name);
      return { filter: compileFilter(source), query_params: query.toObject() };
    }
  }
}

function splitName(value: string, reason: string): [string, string] {
  const parts = value.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1] || parts[0].startsWith('_')) throw badRequest(reason);
  return [parts[0], parts[1]];
}

async function designFunction(db: PouchDatabase, ddocName: string, section: string, name: string, field?: string): Promise<string> {
  let ddoc: Doc;
  try {
    ddoc = await db.get(`_design/${ddocName}`);
  } catch {
    throw new CouchHttpError(404, 'not_found', `missing design document _design/${ddocName}`);
  }
  const group = ddoc[section] as Record<string, unknown> | undefined;
  let fn: unknown = group?.[name];
  if (field && fn && typeof fn === 'object') fn = (fn as Doc)[field];
  if (typeof fn !== 'string') throw new CouchHttpError(404, 'not_found', `missing json key: ${section}.${name}`);
  return fn;
}

function compile(source: string, sandbox: Record<string, unknown>): (...args: unknown[]) => unknown {
  let fn: unknown;
  try {
    fn = new vm.Script(`(${source})`).runInNewContext(sandbox, { timeout: 1000 });
  } catch (err) {
    throw new CouchHttpError(400, 'compilation_error', `Compilation of the filter function failed: ${String(err)}`);
  }
  if (typeof fn !== 'function') throw new CouchHttpError(400, 'compilation_error', 'Expression does not eval to a function.');
  return fn as (...args: unknown[]) => unknown;
}

function helpers(): Record<string, unknown> {
  return { log: () => undefined, isArray: Array.isArray, toJSON: JSON.stringify };
}

export function compileFilter(source: string): (doc: Doc, req: unknown) => boolean {
  const fn = compile(source, helpers());
  return (doc, req) => {
    try {
      return Boolean(fn(doc, req));
    } catch {
      return false;
    }
  };
}

/** CouchDB's _view filter: a document passes when the map function emits anything for it. */
export function compileViewFilter(source: string): (doc: Doc) => boolean {
  const state = { emitted: false };
  const fn = compile(source, { ...helpers(), emit: () => void (state.emitted = true) });
  return (doc) => {
    state.emitted = false;
    try {
      fn(doc);
    } catch {
      return false;
    }
    return state.emitted;
  };
}
