/**
 * The admin HTTP app: Bull Board over the sweep queues, `/attention` (the claims and schedules
 * flagged for a person, as JSON) and `/sellers/:id` (one seller at a glance, seller-page.ts), every
 * route behind the admin token (or a session from `/login`) except signing in and out, every answer
 * with the security headers of security-headers.ts.
 * Read-only: obliterating a queue from a browser would lose its jobs, a removed job scheduler stops
 * its sweep until a sweep process re-creates it, and the audit of runs is in `sweep_runs`.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express, type Router } from 'express';
import type { AttentionSummary } from '../db/attention';
import type { SellerStatus } from '../observability/seller-status';
import type { Logger } from '../platform/logger';
import { loginRoutes, requireToken, tokenMatcher } from './bearer-auth';
import { createLoginThrottle } from './login-throttle';
import { securityHeaders } from './security-headers';
import { sellerRoutes } from './seller-page';
import { createSessions } from './session';

export interface AdminAppOptions {
  queues: readonly Queue[];
  token: string;
  /** Express `trust proxy`: whose X-Forwarded-For/-Proto to believe (config.admin.trustProxy). */
  trustProxy: boolean | number | string[];
  log: Logger;
  /** What `/attention` answers: read from PostgreSQL on each request. */
  attention: () => Promise<AttentionSummary>;
  /** What `/sellers/:id` shows: read from PostgreSQL, Temporal and Redis on each request. */
  sellerStatus: (id: string) => Promise<SellerStatus>;
}

/** PostgreSQL down answers 503 here; the board, which needs only Redis, goes on working. */
function attentionRoutes(attention: AdminAppOptions['attention'], log: Logger): Router {
  const router = express.Router();
  router.get('/attention', (_req, res) => {
    attention().then(
      (summary) => res.json(summary),
      (error: unknown) => {
        log.warn({ err: error }, 'attention summary unavailable');
        res.status(503).json({ error: 'attention summary unavailable: PostgreSQL did not answer' });
      },
    );
  });
  return router;
}

function boardApp(queues: readonly Queue[]): Express {
  const serverAdapter = new ExpressAdapter();
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Sweeps' } },
  });
  return serverAdapter.getRouter();
}

export function createAdminApp(options: AdminAppOptions): Express {
  const { queues, token, trustProxy, log, attention, sellerStatus } = options;
  const matches = tokenMatcher(token);
  const sessions = createSessions(token);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.use(securityHeaders);
  app.use(loginRoutes(matches, sessions, createLoginThrottle(), log));
  app.use(requireToken(matches, sessions));
  app.use(attentionRoutes(attention, log));
  app.use(sellerRoutes(sellerStatus, log));
  app.use(boardApp(queues));
  return app;
}
