import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Logger } from '../log/logger.js';
import { basicAuthMatches, type Credentials } from '@kazoo-numbers-sync/embedded-couch';
import { LoginThrottle } from './login-throttle.js';
import { DASHBOARD_PATH, type RequestHandler } from './ops-server.js';

export interface DashboardOptions {
  credentials: Credentials;
  /** Lets the board change the queue (retry, promote, remove, pause, add jobs); read-only otherwise. */
  writable: boolean;
  logger: Logger;
  throttle?: LoginThrottle;
}

/**
 * The bull-board queue dashboard behind HTTP basic auth, only mounted when credentials are
 * configured; every request is checked. Read-only unless enabled: bull-board's readOnlyMode,
 * and anything but GET/HEAD is refused here too. Failed logins are logged (peer address, no
 * credentials) and throttled per peer address (see LoginThrottle).
 */
export function createDashboard(queue: Queue, opts: DashboardOptions): RequestHandler {
  const adapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue, { readOnlyMode: !opts.writable })],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'numbers-sync' } },
  });
  const app = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  const throttle = opts.throttle ?? new LoginThrottle();
  return (req, res) => {
    const peer = req.socket.remoteAddress ?? 'unknown';
    const waitMs = throttle.retryAfterMs(peer);
    if (waitMs > 0) {
      res.writeHead(429, { 'retry-after': String(Math.ceil(waitMs / 1000)), 'content-type': 'text/plain' });
      res.end('too many failed logins; try again later\n');
      return;
    }
    if (!basicAuthMatches(req.headers.authorization, opts.credentials)) {
      // A request without credentials is a browser's first try, not a guess.
      if (req.headers.authorization) {
        const { failures, lockedForMs } = throttle.fail(peer);
        opts.logger.warn({ peer, failures, lockedForMs }, 'dashboard login failed');
      }
      res.writeHead(401, { 'www-authenticate': 'Basic realm="numbers-sync", charset="UTF-8"', 'content-type': 'text/plain' });
      res.end('authentication required\n');
      return;
    }
    throttle.succeed(peer);
    if (!opts.writable && req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('the dashboard is read-only (NUMBERS_SYNC_DASHBOARD_WRITABLE)\n');
      return;
    }
    // The board's routes are relative to its mount point; strip it like a router mount would.
    req.url = req.url!.slice(DASHBOARD_PATH.length) || '/';
    app(req, res, (err) => {
      res.writeHead(err ? 500 : 404, { 'content-type': 'text/plain' });
      res.end(err ? 'dashboard error\n' : 'not found\n');
    });
  };
}
