/**
 * The admin HTTP app: Bull Board over the sweep queues, every route behind the admin token except
 * the sign-in form. Read-only: removing a job scheduler or obliterating a queue from a browser would
 * stop a sweep until the next sweep process restarts, and the audit of runs is in `sweep_runs`.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express, { type Express } from 'express';
import type { Logger } from '../platform/logger';
import { loginRoutes, requireToken, tokenMatcher } from './bearer-auth';

export interface AdminAppOptions {
  queues: readonly Queue[];
  token: string;
  log: Logger;
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

export function createAdminApp({ queues, token, log }: AdminAppOptions): Express {
  const matches = tokenMatcher(token);
  const app = express();
  app.disable('x-powered-by');
  app.use(loginRoutes(matches, log));
  app.use(requireToken(matches));
  app.use(boardApp(queues));
  return app;
}
