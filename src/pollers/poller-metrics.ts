import type { Message } from '@aws-sdk/client-sqs';
import { METRICS, type MetricsBuffer } from '../observability/metrics';
import { NUMBER_OF_MESSAGES_RECEIVED } from '../observability/sqs-mirror';
import type { WorkflowOutcome } from './workflow-runner';

/** What a poller reports as it works; metrics and benchmarks listen. */
export interface PollerObserver {
  received(count: number): void;
  /** The message's workflow was started (or an existing run of it attached to). */
  started(message: Message): void;
  finished(outcome: WorkflowOutcome): void;
  deadLettered(): void;
}

export const IGNORE_POLLER_EVENTS: PollerObserver = {
  received: () => undefined,
  started: () => undefined,
  finished: () => undefined,
  deadLettered: () => undefined,
};

/** The counters a poller publishes every interval, 0 when nothing happened (the dashboard's workflow lines). */
export const POLLER_COUNTERS = [
  METRICS.messagesReceived,
  METRICS.workflowsStarted,
  METRICS.workflowsCompleted,
  METRICS.workflowsFailed,
  METRICS.messagesDeadLettered,
] as const;

/**
 * Records a queue's poller events as CloudWatch metrics with the dimension QueueName. With a
 * mirror buffer (a local SQS server: src/observability/sqs-mirror.ts) the receives are also counted
 * as `AWS/SQS NumberOfMessagesReceived`, which only SQS publishes on AWS.
 */
export function pollerMetrics(
  buffer: MetricsBuffer,
  queueName: string,
  now = Date.now,
  mirror?: MetricsBuffer,
): PollerObserver {
  const dimensions = { QueueName: queueName };
  for (const counter of POLLER_COUNTERS) buffer.declareCounter(counter, dimensions);
  mirror?.declareCounter(NUMBER_OF_MESSAGES_RECEIVED, dimensions);
  return {
    received: (count) => {
      buffer.count(METRICS.messagesReceived, dimensions, count);
      mirror?.count(NUMBER_OF_MESSAGES_RECEIVED, dimensions, count);
    },
    started: (message) => {
      buffer.count(METRICS.workflowsStarted, dimensions);
      // SQS stamps every message when it accepts it: the latency covers the queue wait and any redelivery.
      const sentAt = Number(message.Attributes?.SentTimestamp);
      if (Number.isFinite(sentAt)) buffer.observe(METRICS.sendToStartLatency, dimensions, Math.max(0, now() - sentAt));
    },
    finished: (outcome) =>
      buffer.count(outcome === 'completed' ? METRICS.workflowsCompleted : METRICS.workflowsFailed, dimensions),
    deadLettered: () => buffer.count(METRICS.messagesDeadLettered, dimensions),
  };
}
