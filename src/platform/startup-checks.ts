/**
 * Start-up checks of the servers a role or command needs, before it does anything else. A server
 * that is down or misconfigured (a closed port, a wrong host, unprovisioned queues) stops the
 * process within STARTUP_WAIT_MS with one line naming the server, the variable that points at it
 * and the error: not a stack trace, and not a role that runs on, unready, retrying in its logs.
 * Servers starting alongside (compose, `npm run dev`) get that long to answer.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { RedisConnection } from './redis';
import type { Pool } from 'pg';
import { runChecks, type ReadinessCheck } from './health-server';
import { postgresReady, redisReady, sqsAnswers, sqsReady } from './probes';
import { FatalError } from './main';

export const STARTUP_WAIT_MS = 10_000;
/** Longer than a readiness probe's: an SDK's own retries (SQS) should end and show their error. */
const ATTEMPT_TIMEOUT_MS = 5_000;
const RETRY_EVERY_MS = 500;

/** A server a process needs, the variable an operator fixes when it does not answer, and how to ask. */
export interface Dependency {
  server: string;
  variable: string;
  check: ReadinessCheck;
  /** How long start-up waits for this one, when longer than STARTUP_WAIT_MS (a fail-over it rides out). */
  waitMs?: number;
}

export const postgresServer = (pool: Pool): Dependency => ({
  server: 'PostgreSQL',
  variable: 'DATABASE_URL',
  check: postgresReady(pool),
});

/**
 * ioredis only says "reconnecting"; at start-up the operator wants the last connection error, which
 * says why. `rideOutMs`: a role starting during a Sentinel fail-over waits that long for the new master.
 */
export function redisServer(redis: RedisConnection, rideOutMs = 0): Dependency {
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  const ready = redisReady(redis);
  return {
    server: 'Redis',
    variable: 'REDIS_URL',
    waitMs: Math.max(STARTUP_WAIT_MS, rideOutMs),
    check: () =>
      ready().catch((error: unknown) => {
        throw redis.status === 'ready' ? error : (lastError ?? error);
      }),
  };
}

/** `queueName` proves the queues are provisioned too; without one, only that SQS answers. */
export const sqsServer = (sqs: SQSClient, queueName?: string): Dependency => ({
  server: 'SQS',
  variable: 'SQS_ENDPOINT / AWS_REGION',
  check: queueName ? sqsReady(sqs, queueName) : sqsAnswers(sqs),
});

/**
 * `probe` answers once the frontend and the namespace do (the pollers' temporalProbe). Over a lazy
 * connection (createLazyTemporalClient), a refused connection is reported with its cause rather
 * than as a connect deadline.
 */
export const temporalServer = (probe: ReadinessCheck): Dependency => ({
  server: 'Temporal',
  variable: 'TEMPORAL_ADDRESS',
  check: probe,
});

/**
 * Resolves once every dependency answers; after STARTUP_WAIT_MS (or the longest `waitMs` of one), a
 * FatalError naming each that does not.
 */
export async function requireServers(
  dependencies: Dependency[],
  waitMs = Math.max(STARTUP_WAIT_MS, ...dependencies.map((dependency) => dependency.waitMs ?? 0)),
): Promise<void> {
  const checks = Object.fromEntries(dependencies.map((dependency, index) => [index, dependency.check]));
  const deadline = Date.now() + waitMs;
  for (;;) {
    const { ready, checks: results } = await runChecks(checks, ATTEMPT_TIMEOUT_MS);
    if (ready) return;
    if (Date.now() + RETRY_EVERY_MS > deadline) {
      const failing = dependencies.flatMap((dependency, index) => {
        const result = results[index]!;
        return result.ok ? [] : [`${dependency.server} (${dependency.variable}): ${oneLine(result.error)}`];
      });
      throw new FatalError(`cannot start: ${failing.join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
  }
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
