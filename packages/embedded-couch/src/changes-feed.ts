// GET/POST /{db}/_changes: normal, longpoll and continuous feeds, streamed in bounded pages.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { filterOptions } from './changes-filter.js';
import { MAX_TIMER_MS, parseFeedTiming } from './feed-timing.js';
import { badRequest, delay, type Query, readJsonObject, requestSignal, writeChunk } from './http.js';
import type { PouchChangeRow, PouchDatabase } from './pouchdb.js';
import type { DbRegistry } from './registry.js';
import type { SeqCodec } from './seq-codec.js';

/** Rows fetched from PouchDB per query: bounds memory however large the feed. */
const PAGE_SIZE = 500;

type Since = number | 'now';

interface FeedParams {
  feed: 'normal' | 'longpoll' | 'continuous';
  since: Since;
  limit: number;
  descending: boolean;
  /** ms to wait for a change; Infinity = forever. */
  timeout: number;
  heartbeat: number | undefined;
  pouch: Record<string, unknown>;
}

export interface ChangesContext {
  registry: DbRegistry;
  serverSignal: AbortSignal;
  /** How positions are spelled to clients (PouchDB integers inside). */
  seqs: SeqCodec;
}

/**
 * express-pouchdb's feed ignores `timeout` on longpoll (it waits for a change forever), never
 * cancels continuous feeds when the client leaves and buffers whole results in memory. Here
 * every feed is a loop of bounded PouchDB queries woken by the registry's write events, with
 * writes paced by the socket (backpressure). Positions are PouchDB integers inside, spelled by
 * `ctx.seqs` on the way out and parsed back from `since`.
 */
export async function handleChanges(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ChangesContext,
  name: string,
  db: PouchDatabase,
  query: Query,
): Promise<void> {
  const body = req.method === 'POST' ? await readJsonObject(req) : {};
  const params = await parseParams(db, query, body, ctx.seqs);
  const signal = requestSignal(res, ctx.serverSignal);
  const watch = new DbWatch(ctx.registry, name);
  try {
    if (params.feed === 'continuous') await continuousFeed(res, db, params, watch, signal, ctx.seqs);
    else await batchFeed(res, db, params, watch, signal, ctx.seqs);
  } finally {
    watch.close();
  }
}

async function parseParams(db: PouchDatabase, q: Query, body: Record<string, unknown>, seqs: SeqCodec): Promise<FeedParams> {
  const { feed, heartbeat, timeout } = parseFeedTiming(q);
  const style = q.string('style') ?? 'main_only';
  if (style !== 'main_only' && style !== 'all_docs') throw badRequest(`Invalid style: ${style}`);
  const limit = q.int('limit');
  return {
    feed,
    since: parseSince(q.string('since'), seqs),
    limit: limit === undefined ? Infinity : Math.max(limit, 1),
    descending: q.bool('descending'),
    timeout,
    heartbeat,
    pouch: {
      style,
      include_docs: q.bool('include_docs'),
      conflicts: q.bool('conflicts'),
      attachments: q.bool('attachments'),
      descending: q.bool('descending'),
      ...(await filterOptions(db, q, body)),
    },
  };
}

function parseSince(since: string | undefined, seqs: SeqCodec): Since {
  if (since === undefined || since === '' || since === '0') return 0;
  if (since === 'now') return 'now';
  const parsed = seqs.parse(since);
  if (parsed) return parsed.n;
  throw badRequest("Malformed sequence supplied in 'since' parameter.");
}

/** A row as the client sees it: its seq spelled by the codec. */
function rowJson(row: PouchChangeRow, seqs: SeqCodec): string {
  const seq = seqs.format(row.seq);
  return JSON.stringify(seq === row.seq ? row : { ...row, seq });
}

/** Write events of one database, observed from before the first query so none is missed. */
class DbWatch {
  dirty = false;
  deleted = false;
  private wake: (() => void) | undefined;
  private readonly unsubscribe: () => void;

  constructor(registry: DbRegistry, name: string) {
    this.unsubscribe = registry.watch(name, (type) => {
      if (type === 'deleted') this.deleted = true;
      this.dirty = true;
      this.wake?.();
    });
  }

  /** Resolves on a write (or deletion), after `ms`, or on abort. */
  async wait(ms: number, signal: AbortSignal): Promise<void> {
    if (this.dirty || this.deleted) return;
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    this.wake = stop;
    try {
      await delay(ms, controller.signal);
    } finally {
      this.wake = undefined;
      signal.removeEventListener('abort', stop);
    }
  }

  close(): void {
    this.unsubscribe();
  }
}

async function queryPage(db: PouchDatabase, p: FeedParams, since: Since, limit: number): Promise<{ rows: PouchChangeRow[]; lastSeq: number }> {
  const page = await db.changes({ ...p.pouch, since, limit, return_docs: true });
  return { rows: page.results, lastSeq: page.last_seq };
}

/** Waits in slices so heartbeats go out; returns when woken, timed out or aborted. */
async function idle(res: ServerResponse, p: FeedParams, watch: DbWatch, deadline: number, signal: AbortSignal): Promise<'woken' | 'timeout' | 'aborted'> {
  for (;;) {
    if (signal.aborted || watch.deleted) return 'aborted';
    if (watch.dirty) return 'woken';
    const left = deadline - Date.now();
    if (left <= 0) return 'timeout';
    const slice = Math.min(left, p.heartbeat ?? left, MAX_TIMER_MS);
    await watch.wait(slice, signal);
    if (!watch.dirty && !signal.aborted && p.heartbeat !== undefined && Date.now() < deadline) {
      startStream(res);
      await writeChunk(res, '\n');
    }
  }
}

function startStream(res: ServerResponse): void {
  if (res.headersSent) return;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' });
  res.flushHeaders();
}

/** normal and longpoll: one JSON document, rows on their own lines as CouchDB writes them. */
async function batchFeed(res: ServerResponse, db: PouchDatabase, p: FeedParams, watch: DbWatch, signal: AbortSignal, seqs: SeqCodec): Promise<void> {
  let since: Since = p.since;
  let requested = Math.min(p.limit, PAGE_SIZE);
  let page = await queryPage(db, p, since, requested);
  if (p.feed === 'longpoll' && page.rows.length === 0) {
    startStream(res); // from here on errors can no longer change the status
    const deadline = Date.now() + p.timeout;
    since = page.lastSeq;
    while ((await idle(res, p, watch, deadline, signal)) === 'woken') {
      watch.dirty = false; // cleared before the query, so a write during it wakes us again
      page = await queryPage(db, p, since, requested);
      if (page.rows.length > 0) break;
      since = page.lastSeq; // a filtered-out change still moves the position
    }
  }
  startStream(res);
  await writeChunk(res, '{"results":[\n');
  let sent = 0;
  for (;;) {
    for (const row of page.rows) await writeChunk(res, (sent++ === 0 ? '' : ',\n') + rowJson(row, seqs));
    since = page.lastSeq;
    // Descending feeds are one query: PouchDB pages by `since`, which only works ascending.
    if (page.rows.length < requested || sent >= p.limit || p.descending || signal.aborted) break;
    requested = Math.min(p.limit - sent, PAGE_SIZE);
    page = await queryPage(db, p, since, requested);
  }
  const pending = p.descending ? 0 : await pendingAfter(db, since);
  res.end(`\n],\n"last_seq":${JSON.stringify(spell(since, seqs))},"pending":${pending}}\n`);
}

/** continuous: one JSON object per line, then {"last_seq"} when the feed times out or hits its limit. */
async function continuousFeed(res: ServerResponse, db: PouchDatabase, p: FeedParams, watch: DbWatch, signal: AbortSignal, seqs: SeqCodec): Promise<void> {
  let since: Since = p.since;
  let requested = Math.min(p.limit, PAGE_SIZE);
  // The first query validates filters and since before any byte is sent.
  let page = await queryPage(db, p, since, requested);
  startStream(res);
  let sent = 0;
  let deadline = Date.now() + p.timeout;
  for (;;) {
    for (const row of page.rows) await writeChunk(res, `${rowJson(row, seqs)}\n`);
    sent += page.rows.length;
    since = page.lastSeq;
    if (page.rows.length > 0) deadline = Date.now() + p.timeout;
    if (sent >= p.limit || signal.aborted) break;
    if (page.rows.length < requested && (await idle(res, p, watch, deadline, signal)) !== 'woken') break;
    watch.dirty = false;
    requested = Math.min(p.limit - sent, PAGE_SIZE);
    page = await queryPage(db, p, since, requested);
  }
  if (res.destroyed) return;
  res.end(`${JSON.stringify({ last_seq: spell(since, seqs), pending: await pendingAfter(db, since) })}\n`);
}

/** 'now' only survives as a position when PouchDB was never asked (it answers integers). */
function spell(since: Since, seqs: SeqCodec): string | number {
  return since === 'now' ? since : seqs.format(since);
}

/**
 * CouchDB's `pending` counts changes after last_seq. PouchDB cannot count them cheaply, so
 * this is update_seq - last_seq: exact when each document changed once since, an upper bound
 * otherwise, and 0 exactly when nothing is left.
 */
async function pendingAfter(db: PouchDatabase, since: Since): Promise<number> {
  if (since === 'now') return 0;
  try {
    const info = await db.info();
    return Math.max(0, Number(info.update_seq) - since);
  } catch {
    return 0;
  }
}
