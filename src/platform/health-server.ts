/**
 * Liveness and readiness for orchestrators and load balancers, on a port of its own (HEALTH_PORT) so
 * every role answers the same way, whether or not it serves anything else. Plain node:http: a probe
 * must not depend on the framework of the thing it probes.
 *
 *   GET /livez   200 while the process is up
 *   GET /readyz  200 when every readiness check passes; 503 naming each failing check and why, or
 *                503 `stopping` once the role has begun shutting down (so traffic drains first)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen } from './http-server';
import { scrubText, type Logger } from './logger';

/** Resolves when the dependency answers; a rejection (or no answer in time) makes the role unready. */
export type ReadinessCheck = () => Promise<unknown>;
export type ReadinessChecks = Readonly<Record<string, ReadinessCheck>>;

export type CheckResult = { ok: true } | { ok: false; error: string };

export interface Readiness {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

export interface HealthServerOptions {
  port: number;
  checks: ReadinessChecks;
  log: Logger;
  /** Per check (they run in parallel): set the probe's own timeout above it (Kubernetes' default is 1 s). */
  checkTimeoutMs?: number;
}

export interface HealthServer {
  /** The bound port: with HEALTH_PORT=0 it is known only after listening. */
  port: number;
  /** /readyz answers 503 `stopping` from now on. */
  markStopping: () => void;
  close: () => Promise<void>;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node reports a refused dual-stack connection as an AggregateError with an empty message.
  const code = (error as NodeJS.ErrnoException).code;
  return scrubText(error.message || code || error.name);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  try {
    // `then` turns a check that throws synchronously into a rejection like any other.
    await withTimeout(Promise.resolve().then(check), timeoutMs);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

/** Every check at once, each bounded by the timeout, so one hung dependency cannot hide the others. */
export async function runChecks(checks: ReadinessChecks, timeoutMs = DEFAULT_CHECK_TIMEOUT_MS): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
  );
  return { ready: results.every(([, result]) => result.ok), checks: Object.fromEntries(results) };
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

export async function startHealthServer({
  port,
  checks,
  log,
  checkTimeoutMs = DEFAULT_CHECK_TIMEOUT_MS,
}: HealthServerOptions): Promise<HealthServer> {
  let stopping = false;
  let wasReady: boolean | undefined;

  // Probes come every few seconds: log when readiness changes, not on every answer.
  const noteChange = ({ ready, checks: results }: Readiness) => {
    if (ready === wasReady) return;
    // Not ready before the first ready is start-up (a bundle building), not news for the on-call.
    const startingUp = wasReady === undefined;
    wasReady = ready;
    if (ready) log.info('ready');
    else log[startingUp ? 'info' : 'warn']({ checks: results }, 'not ready');
  };

  const answerReadiness = async (res: ServerResponse) => {
    if (stopping) return sendJson(res, 503, { status: 'stopping' });
    const readiness = await runChecks(checks, checkTimeoutMs);
    noteChange(readiness);
    sendJson(res, readiness.ready ? 200 : 503, { status: readiness.ready ? 'ready' : 'unready', ...readiness });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    if (path !== '/livez' && path !== '/readyz') return sendJson(res, 404, { status: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { status: 'method not allowed' });
    }
    if (path === '/livez') return sendJson(res, 200, { status: 'ok' });
    void answerReadiness(res);
  };

  const server = createServer(handle);
  const boundPort = await listen(server, port, 'HEALTH_PORT');
  log.info({ port: boundPort }, 'health server listening (/livez, /readyz)');
  return {
    port: boundPort,
    markStopping: () => {
      stopping = true;
    },
    close: () => closeServer(server),
  };
}
