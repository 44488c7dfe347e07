/**
 * The service's CloudWatch alarms as plain data, every threshold taken from the queue catalogue or
 * the sweep registry. Facts SQS knows itself (DLQ depth, oldest message, receives) are alarmed on its
 * own `AWS/SQS` metrics, which keep coming even when our metrics role is down; what only we know
 * (sweep staleness, sagas, claims and schedules needing attention, oversold SKUs, unrepaired drift) on
 * ours. docs/operations.md says what to do for each.
 */
import type { MetricDataQuery, PutMetricAlarmCommandInput } from '@aws-sdk/client-cloudwatch';
import { CronExpressionParser } from 'cron-parser';
import type { Config } from '../config';
import {
  DLQ_RETENTION_SECONDS,
  QUEUES,
  deadLetterQueueName,
  queueName,
  type QueueDefinition,
} from '../queues/catalogue';
import { SWEEP_SCHEDULES, type SweepSchedule } from '../contracts/sweeps';
import { METRICS, type Metric } from './metrics';

export type AlarmDefinition = PutMetricAlarmCommandInput & { AlarmName: string };

export const SQS_NAMESPACE = 'AWS/SQS';
const ONE_MINUTE = 60;
const FIVE_MINUTES = 300;

/** Alarm names carry the namespace and the environment's queue prefix, so environments never collide. */
export function alarmName(config: Config, kind: string, subject: string): string {
  return `${config.observability.metrics.namespace} ${kind}: ${config.queues.prefix}${subject}`;
}

function notifications(config: Config): Pick<PutMetricAlarmCommandInput, 'AlarmActions' | 'OKActions'> {
  const topic = config.observability.alarmTopicArn;
  return topic ? { AlarmActions: [topic], OKActions: [topic] } : {};
}

/** Seconds between two consecutive ticks of a sweep's cron pattern. */
export function sweepPeriodSeconds(sweep: SweepSchedule, timezone: string): number {
  const ticks = CronExpressionParser.parse(sweep.pattern, {
    currentDate: new Date('2026-01-05T00:00:00Z'),
    tz: timezone,
  });
  const first = ticks.next().getTime();
  return (ticks.next().getTime() - first) / 1_000;
}

function deadLetterAlarm(config: Config, queue: QueueDefinition): AlarmDefinition {
  const dlq = deadLetterQueueName(queue, config.queues.prefix);
  return {
    AlarmName: alarmName(config, 'dlq-not-empty', `${queue.name}-dlq`),
    AlarmDescription: `Messages in ${dlq}: the poller dead-lettered them (invalid, failed, parked or stopped) or SQS's safety net moved them. Triage: docs/operations.md#dlq-triage`,
    Namespace: SQS_NAMESPACE,
    MetricName: 'ApproximateNumberOfMessagesVisible',
    Dimensions: [{ Name: 'QueueName', Value: dlq }],
    Statistic: 'Maximum',
    Period: ONE_MINUTE,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    ...notifications(config),
  };
}

function oldestMessageAlarm(config: Config, queue: QueueDefinition): AlarmDefinition {
  const name = queueName(queue, config.queues.prefix);
  const threshold = queue.alarms.oldestMessageAgeSeconds;
  return {
    AlarmName: alarmName(config, 'oldest-message-age', queue.name),
    AlarmDescription: `The oldest message in ${name} has waited over ${threshold} s: consumers are behind or stuck.`,
    Namespace: SQS_NAMESPACE,
    MetricName: 'ApproximateAgeOfOldestMessage',
    Dimensions: [{ Name: 'QueueName', Value: name }],
    Statistic: 'Maximum',
    Period: ONE_MINUTE,
    EvaluationPeriods: 3,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    ...notifications(config),
  };
}

function sqsQuery(id: string, queue: string, metricName: string, stat: string): MetricDataQuery {
  return {
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: { Namespace: SQS_NAMESPACE, MetricName: metricName, Dimensions: [{ Name: 'QueueName', Value: queue }] },
      Period: ONE_MINUTE,
      Stat: stat,
    },
  };
}

/** Messages wait visible while nothing receives them: the pollers are down, stuck or scaled to zero. */
function consumerStallAlarm(config: Config, queue: QueueDefinition): AlarmDefinition {
  const name = queueName(queue, config.queues.prefix);
  const minutes = queue.alarms.consumerStallMinutes;
  return {
    AlarmName: alarmName(config, 'consumer-stalled', queue.name),
    AlarmDescription: `${name} has had visible messages and no receives for ${minutes} min: check its pollers.`,
    Metrics: [
      sqsQuery('visible', name, 'ApproximateNumberOfMessagesVisible', 'Minimum'),
      sqsQuery('received', name, 'NumberOfMessagesReceived', 'Sum'),
      {
        Id: 'stalled',
        Label: 'visible messages, none received',
        Expression: 'IF(visible > 0 AND FILL(received, 0) == 0, 1, 0)',
        ReturnData: true,
      },
    ],
    EvaluationPeriods: minutes,
    DatapointsToAlarm: minutes,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    ...notifications(config),
  };
}

function staleSweepAlarm(config: Config, sweep: SweepSchedule): AlarmDefinition {
  const threshold = 2 * sweepPeriodSeconds(sweep, config.sweeps.timezone);
  return {
    AlarmName: alarmName(config, 'sweep-stale', sweep.name),
    AlarmDescription:
      `${sweep.name} (${sweep.pattern}) has not succeeded for ${threshold} s, twice its period. ` +
      'INSUFFICIENT_DATA: the metrics role is not publishing, or the sweep never succeeded.',
    Namespace: config.observability.metrics.namespace,
    MetricName: METRICS.secondsSinceLastSuccessfulSweep.name,
    Dimensions: [{ Name: 'Sweep', Value: sweep.name }],
    Statistic: 'Maximum',
    Period: FIVE_MINUTES,
    EvaluationPeriods: 1,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'missing',
    ...notifications(config),
  };
}

/** A service-wide figure of rows waiting for a person: alarms on the first one (or at `threshold`). */
function needsAttentionAlarm(
  config: Config,
  {
    kind,
    subject,
    metric,
    description,
    threshold = 1,
  }: { kind: string; subject: string; metric: Metric; description: string; threshold?: number },
): AlarmDefinition {
  return {
    AlarmName: alarmName(config, kind, subject),
    AlarmDescription: description,
    Namespace: config.observability.metrics.namespace,
    MetricName: metric.name,
    Dimensions: [],
    Statistic: 'Maximum',
    Period: FIVE_MINUTES,
    EvaluationPeriods: 1,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'missing',
    ...notifications(config),
  };
}

function sagasNeedingAttentionAlarm(config: Config): AlarmDefinition {
  return needsAttentionAlarm(config, {
    kind: 'sagas-need-attention',
    subject: 'saga_runs',
    metric: METRICS.sagasNeedingAttention,
    description: 'A saga compensation failed: a marketplace or stock may be half-changed. See saga_runs.',
  });
}

function dispatchAttentionAlarms(config: Config): AlarmDefinition[] {
  return [
    needsAttentionAlarm(config, {
      kind: 'claims-need-attention',
      subject: 'dispatch_claims',
      metric: METRICS.claimsNeedingAttention,
      description:
        'A claimed message was not accepted by SQS for over 24 h and is no longer sent again. ' +
        'See docs/operations.md#claims-need-attention',
    }),
    needsAttentionAlarm(config, {
      kind: 'schedules-need-attention',
      subject: 'schedules',
      metric: METRICS.schedulesNeedingAttention,
      description:
        'A schedule is flagged and no longer runs (e.g. an unknown kind or a malformed cadence). ' +
        'See docs/operations.md#schedules-need-attention',
    }),
  ];
}

/** Four days before SQS drops a parked letter: time to enable or re-authorise its account and replay it. */
export const PARKED_LETTER_ALARM_SECONDS = DLQ_RETENTION_SECONDS - 4 * 24 * 3600;

function parkedLettersAlarm(config: Config): AlarmDefinition {
  return needsAttentionAlarm(config, {
    kind: 'parked-letters-expiring',
    subject: 'dead_letters',
    metric: METRICS.oldestParkedLetterAge,
    threshold: PARKED_LETTER_ALARM_SECONDS,
    description:
      `A letter parked for its account (disabled, needs re-authorisation) has waited over ${PARKED_LETTER_ALARM_SECONDS} s; ` +
      `SQS drops it at ${DLQ_RETENTION_SECONDS} s. Enable the account and replay, or purge: docs/operations.md#parked-letters`,
  });
}

function inventoryAlarms(config: Config): AlarmDefinition[] {
  return [
    needsAttentionAlarm(config, {
      kind: 'skus-oversold',
      subject: 'skus',
      metric: METRICS.oversoldSkus,
      description:
        'A SKU has less stock than its reserved orders (available below 0): an oversell already made at the ' +
        'marketplaces; the seller must add stock or cancel orders. See docs/operations.md#skus-oversold',
    }),
    needsAttentionAlarm(config, {
      kind: 'drift-unrepaired',
      subject: 'drift_findings',
      metric: METRICS.unrepairedDriftListings,
      description:
        "A listing's latest drift finding is repair_failed or missing_at_marketplace: the marketplace shows a " +
        'quantity we could not set. See docs/operations.md#drift-unrepaired',
    }),
  ];
}

/**
 * A workflow task that fails is retried for ever and its workflow never ends: after a deploy, almost
 * always a nondeterministic change (docs/deploys.md says what to do: roll back first).
 */
function workflowTaskFailuresAlarm(config: Config): AlarmDefinition {
  return {
    AlarmName: alarmName(config, 'workflow-task-failures', 'temporal-workers'),
    AlarmDescription:
      'Temporal workflow tasks are failing (temporal_workflow_task_execution_failed on the workers): ' +
      'their workflows are stuck, and so are the FIFO groups waiting on them. A deploy just went out? ' +
      'Roll it back. See docs/operations.md#workflow-task-failures',
    Namespace: config.observability.metrics.namespace,
    MetricName: METRICS.workflowTaskFailures.name,
    Dimensions: [],
    Statistic: 'Sum',
    Period: FIVE_MINUTES,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    // Every worker publishes 0 when healthy; no data means no worker is running, which other alarms see.
    TreatMissingData: 'notBreaching',
    ...notifications(config),
  };
}

export function alarmDefinitions(config: Config): AlarmDefinition[] {
  return [
    ...QUEUES.flatMap((queue) => [
      deadLetterAlarm(config, queue),
      oldestMessageAlarm(config, queue),
      consumerStallAlarm(config, queue),
    ]),
    ...SWEEP_SCHEDULES.map((sweep) => staleSweepAlarm(config, sweep)),
    sagasNeedingAttentionAlarm(config),
    ...dispatchAttentionAlarms(config),
    parkedLettersAlarm(config),
    ...inventoryAlarms(config),
    workflowTaskFailuresAlarm(config),
  ];
}
