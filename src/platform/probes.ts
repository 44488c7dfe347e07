/**
 * The readiness checks the roles share: each the cheapest call that proves a dependency answers.
 * (Temporal's is the pollers' own `temporalProbe`.)
 */
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
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

export function postgresReady(pool: Pool): ReadinessCheck {
  return () => pool.query('select 1');
}

/** Proves the endpoint, the credentials and that the queue is provisioned, in one call. */
export function sqsReady(sqs: SQSClient, queueName: string): ReadinessCheck {
  return () => sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
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
