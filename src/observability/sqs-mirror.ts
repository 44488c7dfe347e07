/**
 * Locally no AWS publishes `AWS/SQS`, so the alarms on it could never change state. Where SQS is a
 * local server (`SQS_ENDPOINT` set) the metrics role publishes the same queue figures under that
 * namespace, with the dimension QueueName and the metric names the alarms watch, and the pollers add
 * their receives; the provisioned alarms then evaluate unchanged. On AWS (no `SQS_ENDPOINT`) nothing
 * is mirrored: SQS publishes these itself.
 */
import type { StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import { oldestMessageAgeSeconds } from '../queues/oldest-message';
import type { QueueDepth } from '../queues/queue-urls';
import { SQS_NAMESPACE, alarmDefinitions, type AlarmDefinition } from './alarms';
import { MetricsBuffer, putMetrics, type Metric } from './metrics';

/** Every `AWS/SQS` metric name an alarm watches, directly or inside a metric-math expression. */
export function watchedSqsMetricNames(alarms: readonly AlarmDefinition[]): string[] {
  const names = alarms.flatMap((alarm) => [
    ...(alarm.Namespace === SQS_NAMESPACE && alarm.MetricName ? [alarm.MetricName] : []),
    ...(alarm.Metrics ?? []).flatMap(({ MetricStat }) =>
      MetricStat?.Metric?.Namespace === SQS_NAMESPACE && MetricStat.Metric.MetricName
        ? [MetricStat.Metric.MetricName]
        : [],
    ),
  ]);
  return [...new Set(names)].sort();
}

/** What the metrics role reads of one queue at each sample. */
export interface QueueFigures extends QueueDepth {
  /** Undefined when the SQS server cannot tell without receiving (ElasticMQ). */
  oldestMessageAgeSeconds?: number;
}

const metric = (name: string, unit: StandardUnit): Metric => ({ name, unit });

/** AWS/SQS metrics the metrics role can mirror from its sample of a queue, with the figure each takes. */
const FROM_SAMPLE: Record<string, { metric: Metric; value: (figures: QueueFigures) => number | undefined }> = {
  ApproximateNumberOfMessagesVisible: {
    metric: metric('ApproximateNumberOfMessagesVisible', 'Count'),
    value: (f) => f.visible,
  },
  ApproximateNumberOfMessagesNotVisible: {
    metric: metric('ApproximateNumberOfMessagesNotVisible', 'Count'),
    value: (f) => f.inFlight,
  },
  ApproximateNumberOfMessagesDelayed: {
    metric: metric('ApproximateNumberOfMessagesDelayed', 'Count'),
    value: (f) => f.delayed,
  },
  ApproximateAgeOfOldestMessage: {
    metric: metric('ApproximateAgeOfOldestMessage', 'Seconds'),
    value: (f) => f.oldestMessageAgeSeconds,
  },
};

/** AWS/SQS metrics only the pollers see: what they received (locally they are SQS's only consumers). */
export const NUMBER_OF_MESSAGES_RECEIVED = metric('NumberOfMessagesReceived', 'Count');
const FROM_POLLERS = new Set([NUMBER_OF_MESSAGES_RECEIVED.name]);

/** Mirroring happens only against a local SQS server: on AWS, SQS publishes these itself. */
export function mirrorsSqsMetrics(config: Config): boolean {
  return config.aws.sqsEndpoint !== undefined;
}

/**
 * The metrics role's side of the mirror: the watched metrics it can take from a queue's sample.
 * Refuses to be built when an alarm watches an `AWS/SQS` metric nothing here or in the pollers
 * mirrors, so a new alarm cannot silently stay unevaluable locally.
 */
export class SqsMirror {
  readonly buffer = new MetricsBuffer();
  private readonly sampled: (typeof FROM_SAMPLE)[string][];

  private readonly sqsEndpoint?: string;

  constructor(config: Config) {
    this.sqsEndpoint = config.aws.sqsEndpoint;
    const watched = watchedSqsMetricNames(alarmDefinitions(config));
    const unmirrored = watched.filter((name) => !(name in FROM_SAMPLE) && !FROM_POLLERS.has(name));
    if (unmirrored.length)
      throw new Error(`alarms watch AWS/SQS ${unmirrored.join(', ')}, which nothing mirrors locally`);
    this.sampled = watched.flatMap((name) => (name in FROM_SAMPLE ? [FROM_SAMPLE[name]!] : []));
  }

  /** A queue's sampled depth, and its oldest message's age when an alarm watches it and the server tells. */
  async record(queueName: string, depth: QueueDepth, now: Date): Promise<void> {
    const figures: QueueFigures = { ...depth };
    if (this.sampled.some(({ metric }) => metric.name === 'ApproximateAgeOfOldestMessage') && this.sqsEndpoint) {
      figures.oldestMessageAgeSeconds = await oldestMessageAgeSeconds(this.sqsEndpoint, queueName, now);
    }
    for (const { metric, value } of this.sampled) {
      const figure = value(figures);
      if (figure !== undefined) this.buffer.gauge(metric, { QueueName: queueName }, figure);
    }
  }
}

/** Sends what a mirror buffer holds under `AWS/SQS`, stamped like the interval's own datums. */
export function publishMirror(cloudWatch: CloudWatchClient, buffer: MetricsBuffer) {
  return (timestamp: Date) => putMetrics(cloudWatch, SQS_NAMESPACE, buffer.drain(timestamp));
}
