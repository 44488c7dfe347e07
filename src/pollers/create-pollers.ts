import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../platform/logger';
import { temporalAcceptsStarts } from '../platform/probes';
import { queueName, type PollerSettings, type QueueDefinition } from '../queues/catalogue';
import type { QueueDirectory } from '../queues/queue-urls';
import type { PollerObserver } from './poller-metrics';
import { QueuePoller, type PollerDependencies } from './queue-poller';
import { WorkflowRunner } from './workflow-runner';

export interface PollerWiring {
  config: Config;
  sqs: SQSClient;
  client: Client;
  directory: QueueDirectory;
  settings?: Partial<PollerSettings>;
  log?: Logger;
  onCompleted?: PollerDependencies['onCompleted'];
  /** Each queue's observer (metrics); default: none. */
  observe?: (queue: QueueDefinition, physicalName: string) => PollerObserver;
}

export async function createPoller(wiring: PollerWiring, queue: QueueDefinition): Promise<QueuePoller> {
  const { config, sqs, client, directory } = wiring;
  const physicalName = queueName(queue, config.queues.prefix);
  const runner = new WorkflowRunner(client, config.temporal.taskQueue, { queue, physicalName });
  return new QueuePoller({
    sqs,
    queue,
    physicalName,
    queueUrl: await directory.url(queue),
    deadLetterUrl: await directory.deadLetterUrl(queue),
    runWorkflow: (envelope, message, onStarted) => runner.run(envelope, message.MessageId ?? 'unknown', onStarted),
    isTemporalReachable: temporalAcceptsStarts(client, config.temporal.namespace),
    settings: wiring.settings,
    log: wiring.log,
    onCompleted: wiring.onCompleted,
    observer: wiring.observe?.(queue, physicalName),
  });
}
