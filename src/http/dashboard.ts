import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { basicAuthMatches, type Credentials } from './basic-auth.js';
import { DASHBOARD_PATH, type RequestHandler } from './ops-server.js';

/**
 * The bull-board queue dashboard behind HTTP basic auth. It can retry, promote and remove
 * jobs, so it is only mounted when credentials are configured; every request is checked.
 */
export function createDashboard(queue: Queue, credentials: Credentials): RequestHandler {
  const adapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  createBullBoard({
    queues: [new BullMQAdapter(queue)],
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'numbers-sync' } },
  });
  const app = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
  return (req, res) => {
    if (!basicAuthMatches(req.headers.authorization, credentials)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="numbers-sync", charset="UTF-8"', 'content-type': 'text/plain' });
      res.end('authentication required\n');
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
