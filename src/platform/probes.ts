/**
 * One probe per server: the cheapest call that proves it answers. Roles' /readyz, their start-up
 * checks (startup-checks.ts) and the local stack's "is it up?" all ask through these.
 */
import { GetQueueUrlCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { RedisConnection } from './redis';
import type { Pool } from 'pg';
import type { ReadinessCheck } from './health-server';

/**
 * `rideOutMs`: a connection lost less than this long ago counts as ready, so a Sentinel fail-over
 * (the master away for a few seconds, commands waiting for the new one) does not flap readiness.
 */
export function redisReady(redis: RedisConnection, rideOutMs = 0): ReadinessCheck {
  let awaySince: number | undefined;
  redis.on('close', () => (awaySince ??= Date.now()));
  redis.on('ready', () => (awaySince = undefined));
  return async () => {
    if (redis.status !== 'ready') {
      if (awaySince !== undefined && Date.now() - awaySince < rideOutMs) return;
      // A command on a connection that is down waits in ioredis's offline queue: fail at once instead.
      throw new Error(`not connected (connection ${redis.status})`);
    }
    await redis.ping();
  };
}

/** A pool, or a single client (the local stack's one-shot probe). */
export function postgresReady(pool: Pick<Pool, 'query'>): ReadinessCheck {
  return () => pool.query('select 1');
}

/** Proves the endpoint and the credentials, whatever queues there are. */
export function sqsAnswers(sqs: SQSClient): ReadinessCheck {
  return () => sqs.send(new ListQueuesCommand({ MaxResults: 1 }));
}

/** Proves the endpoint, the credentials and that the queue is provisioned, in one call. */
export function sqsReady(sqs: SQSClient, queueName: string): ReadinessCheck {
  return () => sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
}

/** Cheap authenticated call: answers only when the frontend and namespace are up. */
export function temporalProbe(client: Client, namespace: string): () => Promise<boolean> {
  return async () => {
    await client.connection.withDeadline(Date.now() + 2_000, () =>
      client.connection.workflowService.describeNamespace({ namespace }),
    );
    return true;
  };
}

/** gRPC INVALID_ARGUMENT: the frontend read the request and refused it as malformed. */
const INVALID_ARGUMENT = 3;

/**
 * Whether Temporal takes workflow starts now, which DescribeNamespace cannot tell: a namespace at
 * its rate limit throttles StartWorkflowExecution while DescribeNamespace (another quota) answers.
 * So this sends a start without a workflow id. Temporal's frontend applies its namespace rate limits
 * in interceptors, before the handler validates the request: throttled, it answers RESOURCE_EXHAUSTED
 * (the client retries that until the deadline, then DEADLINE_EXCEEDED); otherwise it refuses the
 * start as invalid (INVALID_ARGUMENT), which proves a start would have been let through. Nothing is
 * started and no action is billed.
 */
export function temporalAcceptsStarts(client: Client, namespace: string): () => Promise<boolean> {
  return async () => {
    try {
      await client.connection.withDeadline(Date.now() + 2_000, () =>
        client.connection.workflowService.startWorkflowExecution({ namespace, requestId: randomUUID() }),
      );
    } catch (error) {
      if (isGrpcServiceError(error) && error.code === INVALID_ARGUMENT) return true;
      throw error;
    }
    throw new Error('Temporal accepted a start without a workflow id');
  };
}

/** Empty until the workers exist (bundling the workflows takes seconds): not ready until then. */
export function temporalWorkersRunning(workers: readonly Worker[]): ReadinessCheck {
  return async () => {
    if (workers.length === 0) throw new Error('workers not started yet');
    const notRunning = workers.filter((worker) => worker.getState() !== 'RUNNING');
    if (notRunning.length > 0) {
      throw new Error(notRunning.map((worker) => `${worker.options.taskQueue}: ${worker.getState()}`).join(', '));
    }
  };
}
