import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../platform/logger';
import { temporalAcceptsStarts } from '../platform/probes';
import { queueName, type PollerSettings, type QueueDefinition } from '../queues/catalogue';
import { QueueMessages } from '../queues/queue-messages';
import type { QueueDirectory } from '../queues/queue-urls';
import type { PollerObserver } from './poller-metrics';
import { QueuePoller, type PollerDependencies } from './queue-poller';
import { WorkflowRunner, type ExecutionTimeouts } from './workflow-runner';

export interface PollerWiring {
  config: Config;
  sqs: SQSClient;
  client: Client;
  /** Completion records, dead-letter records and unfinished sagas are written here. */
  pool: Pool;
  directory: QueueDirectory;
  settings?: Partial<PollerSettings>;
  log?: Logger;
  onCompleted?: PollerDependencies['onCompleted'];
  /** Each queue's observer (metrics); default: none. */
  observe?: (queue: QueueDefinition, physicalName: string) => PollerObserver;
  /** Default: WORKFLOW_EXECUTION_TIMEOUT_HOURS (src/contracts/workflows.ts). */
  executionTimeouts?: ExecutionTimeouts;
}

export async function createPoller(wiring: PollerWiring, queue: QueueDefinition): Promise<QueuePoller> {
  const { config, sqs, client, pool, directory } = wiring;
  const physicalName = queueName(queue, config.queues.prefix);
  const retryDelaySeconds = wiring.settings?.retryDelaySeconds ?? queue.poller.retryDelaySeconds;
  const runner = new WorkflowRunner({
    client,
    pool,
    baseTaskQueue: config.temporal.taskQueue,
    source: { queue, physicalName },
    retryDelaySeconds,
    executionTimeouts: wiring.executionTimeouts,
    legacyIdLookup: config.pollers.legacyIdLookup,
  });
  const endpoints = { queue, url: await directory.url(queue), deadLetterUrl: await directory.deadLetterUrl(queue) };
  return new QueuePoller({
    queue,
    messages: new QueueMessages(sqs, endpoints, pool),
    physicalName,
    settle: (request, events) => runner.settle(request, events),
    isTemporalReachable: temporalAcceptsStarts(client, config.temporal.namespace),
    settings: wiring.settings,
    log: wiring.log,
    onCompleted: wiring.onCompleted,
    observer: wiring.observe?.(queue, physicalName),
  });
}
