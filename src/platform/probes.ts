/**
 * One probe per server: the cheapest call that proves it answers. Roles' /readyz, their start-up
 * checks (startup-checks.ts) and the local stack's "is it up?" all ask through these.
 */
import { GetQueueUrlCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { ReadinessCheck } from './health-server';

export function redisReady(redis: Redis): ReadinessCheck {
  return async () => {
    // A command on a connection that is down waits in ioredis's offline queue: fail at once instead.
    if (redis.status !== 'ready') throw new Error(`not connected (connection ${redis.status})`);
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
