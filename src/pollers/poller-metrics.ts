import type { Message } from '@aws-sdk/client-sqs';
import { METRICS, type MetricsBuffer } from '../observability/metrics';
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

/** Records a queue's poller events as CloudWatch metrics with the dimension QueueName. */
export function pollerMetrics(buffer: MetricsBuffer, queueName: string, now = Date.now): PollerObserver {
  const dimensions = { QueueName: queueName };
  return {
    received: (count) => buffer.count(METRICS.messagesReceived, dimensions, count),
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
