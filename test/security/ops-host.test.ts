// Review of issue 15: the ops endpoint answered any Host. A web page on an attacker's domain that
// resolves to 127.0.0.1 (DNS rebinding) is then same-origin with it and can read /metrics
// (database names, counts) and /readyz from the browser of anyone on the machine. The embedded
// CouchDB server refuses such Hosts already; bound to loopback, the ops endpoint does too.
// Bound to another interface it keeps answering any Host: scrapers name it by service name.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { OpsServer } from '../../src/http/ops-server.js';

let server: OpsServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(host: string): Promise<string> {
  server = new OpsServer({
    host,
    port: 0,
    logger: createLogger({ level: 'silent' }),
    readiness: async () => ({ ready: true }) as never,
    metrics: async () => ({ contentType: 'text/plain', body: 'numbers_sync_db_pending{db="numbers/+1415"} 3\n' }),
  });
  return server.start();
}

function get(base: string, path: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { headers: { host }, setHost: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ops endpoint Host check', () => {
  it('bound to loopback, refuses a Host that is not a loopback name (DNS rebinding)', async () => {
    const base = await start('127.0.0.1');
    const port = new URL(base).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`]) {
      const r = await get(base, '/metrics', host);
      expect({ host, status: r.status }).toEqual({ host, status: 421 });
      expect(r.text).not.toContain('numbers/+1415');
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`]) {
      expect({ host, status: (await get(base, '/metrics', host)).status }).toEqual({ host, status: 200 });
    }
    expect((await get(base, '/healthz', 'evil.example')).status).toBe(421);
  });

  it('bound to all interfaces, answers any Host (scrapers use service names)', async () => {
    const base = (await start('0.0.0.0')).replace('0.0.0.0', '127.0.0.1');
    expect((await get(base, '/metrics', 'numbers-sync:9464')).status).toBe(200);
  });
});
