// GET/POST /_db_updates: normal, longpoll and continuous over the in-memory DbUpdatesLog.
import type { ServerResponse } from 'node:http';
import type { DbUpdatesLog } from './db-updates-log.js';
import { MAX_TIMER_MS, parseFeedTiming } from './feed-timing.js';
import { delay, type Query, requestSignal, writeChunk } from './http.js';

/** express-pouchdb has no _db_updates at all (404 / empty 400); this is CouchDB 3's shape. */
export async function handleDbUpdates(res: ServerResponse, log: DbUpdatesLog, q: Query, serverSignal: AbortSignal): Promise<void> {
  const { feed, heartbeat, timeout } = parseFeedTiming(q);
  const limitParam = q.int('limit');
  const limit = limitParam === undefined ? Infinity : Math.max(limitParam, 1);
  let position = log.parseSince(q.string('since'));
  const signal = requestSignal(res, serverSignal);

  const start = () => {
    if (res.headersSent) return;
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'must-revalidate' });
    res.flushHeaders();
  };
  /** Waits for an event until `deadline`, sending heartbeats; false on timeout or abort. */
  const waitForEvent = async (deadline: number): Promise<boolean> => {
    for (;;) {
      if (signal.aborted) return false;
      if (log.hasAfter(position)) return true; // recorded while we were writing
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const slice = new AbortController();
      const onAbort = () => slice.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = delay(Math.min(left, heartbeat ?? left, MAX_TIMER_MS), slice.signal).then(() => 'timer' as const);
      const event = log.nextEvent(slice.signal).then(() => 'event' as const);
      const first = await Promise.race([timer, event]);
      signal.removeEventListener('abort', onAbort);
      slice.abort();
      if (first === 'event' && !signal.aborted) return true;
      if (heartbeat !== undefined && Date.now() < deadline && !signal.aborted) {
        start();
        await writeChunk(res, '\n');
      }
    }
  };

  if (feed === 'continuous') {
    start();
    let sent = 0;
    let deadline = Date.now() + timeout;
    for (;;) {
      const { results, lastN } = log.after(position, limit - sent);
      for (const e of results) await writeChunk(res, `${JSON.stringify(e)}\n`);
      sent += results.length;
      position = lastN;
      if (results.length > 0) deadline = Date.now() + timeout;
      if (sent >= limit || !(await waitForEvent(deadline))) break;
    }
    if (!res.destroyed) res.end(`${JSON.stringify({ last_seq: log.format(position) })}\n`);
    return;
  }

  let page = log.after(position, limit);
  if (feed === 'longpoll' && page.results.length === 0) {
    start();
    const deadline = Date.now() + timeout;
    while (page.results.length === 0 && (await waitForEvent(deadline))) page = log.after(position, limit);
  }
  if (res.destroyed) return;
  start();
  const rows = page.results.map((e) => JSON.stringify(e)).join(',\n');
  res.end(`{"results":[\n${rows}\n],\n"last_seq":${JSON.stringify(log.format(page.lastN))}}\n`);
}
