// The I/O of the preflight checks: raw HTTP answers of CouchDB (status, body, Date header) and
// Redis INFO / CONFIG / TIME. Nothing is judged here (verdicts.ts does that); no message carries
// credentials.
import type { Redis } from 'ioredis';
import { redactUrl } from '../util/redact.js';
import type { ClockReading, HttpFact } from './verdicts.js';

const PROBE_TIMEOUT_MS = 5000;

export interface TimedHttpFact extends HttpFact {
  /** The Date response header, when sent. */
  date?: string;
  /** Local clock before and after the request (ms). */
  sentAt: number;
  receivedAt: number;
}

/** GETs against one CouchDB with its URL's credentials sent as a header (fetch refuses them in the URL). */
export class CouchProbe {
  private readonly base: string;
  private readonly headers: Record<string, string> = { accept: 'application/json' };

  constructor(url: string) {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      this.headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`).toString('base64')}`;
    }
    parsed.username = parsed.password = '';
    this.base = `${parsed.origin}${parsed.pathname}`.replace(/\/+$/, '');
  }

  async get(path: string): Promise<TimedHttpFact> {
    const sentAt = Date.now();
    try {
      const res = await fetch(`${this.base}/${path}`, { headers: this.headers, signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      const text = await res.text();
      const receivedAt = Date.now();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: kept as text.
      }
      const date = res.headers.get('date') ?? undefined;
      return { status: res.status, body, sentAt, receivedAt, ...(date ? { date } : {}) };
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      return { error: redactUrl(e.cause?.code ?? e.message), sentAt, receivedAt: Date.now() };
    }
  }
}

/** Clock offset from a response's Date header (whole seconds), against the middle of the request. */
export function couchClockReading(fact: TimedHttpFact): ClockReading {
  const server = fact.date ? Date.parse(fact.date) : NaN;
  if (!Number.isFinite(server)) return { source: 'couchdb', resolutionMs: 1000, error: fact.error ?? 'no Date header' };
  // The header truncates to the second: its true time is within [server, server + 1 s).
  return { source: 'couchdb', offsetMs: server + 500 - (fact.sentAt + fact.receivedAt) / 2, resolutionMs: 1000 };
}

export async function redisClockReading(redis: Redis): Promise<ClockReading> {
  try {
    const sentAt = Date.now();
    const [seconds, micros] = await redis.time();
    const receivedAt = Date.now();
    return { source: 'redis', offsetMs: Number(seconds) * 1000 + Number(micros) / 1000 - (sentAt + receivedAt) / 2, resolutionMs: 0 };
  } catch (err) {
    return { source: 'redis', resolutionMs: 0, error: err instanceof Error ? err.message : String(err) };
  }
}

/** CONFIG GET save, or undefined where CONFIG is refused (renamed, ACL, managed Redis). */
export async function redisSavePoints(redis: Redis): Promise<string | undefined> {
  try {
    const reply = (await redis.config('GET', 'save')) as unknown as string[];
    return reply[1] ?? '';
  } catch {
    return undefined;
  }
}
