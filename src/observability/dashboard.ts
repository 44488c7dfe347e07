/**
 * The CloudWatch dashboard, built from the queue catalogue: one row of widgets per queue family
 * (depth, DLQs, workflows, latency), then the sweeps, then what needs a person, then the stock.
 */
import { QUEUES, deadLetterQueueName, queueName, type QueueDefinition, type QueueFamily } from '../queues/catalogue';
import { SWEEP_SCHEDULES } from '../contracts/sweeps';
import type { Config } from '../config';
import { METRICS, type Metric } from './metrics';

const ROW_HEIGHT = 6;
const FAMILY_TITLES: Record<QueueFamily, string> = {
  account: 'Account sync (FIFO)',
  inventory: 'Inventory deduct (FIFO)',
  'marketplace-push': 'Marketplace push (FIFO)',
  background: 'Background (Standard)',
};

type MetricLine = (string | { label?: string; stat?: string })[];

interface Widget {
  type: 'metric';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: 'timeSeries';
    stacked: false;
    period: number;
    stat: string;
    metrics: MetricLine[];
  };
}

export function dashboardName(config: Config): string {
  return `${config.queues.prefix}seller-workflows`;
}

function line(
  namespace: string,
  metric: Metric,
  dimension: [string, string] | [],
  options: MetricLine[number] = {},
): MetricLine {
  return [namespace, metric.name, ...dimension, options];
}

/** Lays widgets of the given widths left to right on row `row`. */
function row(
  row: number,
  widgets: { width: number; title: string; stat: string; metrics: MetricLine[] }[],
  region: string,
): Widget[] {
  let x = 0;
  return widgets.map(({ width, title, stat, metrics }) => {
    const widget: Widget = {
      type: 'metric',
      x,
      y: row * ROW_HEIGHT,
      width,
      height: ROW_HEIGHT,
      properties: { title, region, view: 'timeSeries', stacked: false, period: 60, stat, metrics },
    };
    x += width;
    return widget;
  });
}

function familyRow(config: Config, index: number, family: QueueFamily, queues: QueueDefinition[]): Widget[] {
  const ns = config.observability.metrics.namespace;
  const names = queues.map((queue) => queueName(queue, config.queues.prefix));
  const perQueue = (metrics: Metric[], stat?: string) =>
    names.flatMap((name) =>
      metrics.map((metric) =>
        line(ns, metric, ['QueueName', name], { label: `${name} ${metric.name}`, ...(stat ? { stat } : {}) }),
      ),
    );
  const title = FAMILY_TITLES[family];
  return row(
    index,
    [
      {
        width: 8,
        title: `${title}: visible / in flight`,
        stat: 'Maximum',
        metrics: perQueue([METRICS.messagesVisible, METRICS.messagesInFlight]),
      },
      {
        width: 4,
        title: `${title}: DLQ depth`,
        stat: 'Maximum',
        metrics: queues.map((queue) => {
          const dlq = deadLetterQueueName(queue, config.queues.prefix);
          return line(ns, METRICS.messagesVisible, ['QueueName', dlq], { label: dlq });
        }),
      },
      {
        width: 8,
        title: `${title}: workflows`,
        stat: 'Sum',
        metrics: perQueue([
          METRICS.workflowsStarted,
          METRICS.workflowsCompleted,
          METRICS.workflowsFailed,
          METRICS.messagesDeadLettered,
        ]),
      },
      {
        width: 4,
        title: `${title}: send-to-start latency (ms)`,
        stat: 'Maximum',
        metrics: perQueue([METRICS.sendToStartLatency]),
      },
    ],
    config.aws.region,
  );
}

function sweepsRow(config: Config, index: number): Widget[] {
  const ns = config.observability.metrics.namespace;
  const perSweep = (metrics: Metric[]) =>
    SWEEP_SCHEDULES.flatMap((sweep) =>
      metrics.map((metric) => line(ns, metric, ['Sweep', sweep.name], { label: `${sweep.name} ${metric.name}` })),
    );
  return row(
    index,
    [
      {
        width: 12,
        title: 'Sweeps: BullMQ jobs',
        stat: 'Maximum',
        metrics: perSweep([
          METRICS.sweepJobsWaiting,
          METRICS.sweepJobsActive,
          METRICS.sweepJobsDelayed,
          METRICS.sweepJobsFailed,
        ]),
      },
      {
        width: 12,
        title: 'Sweeps: seconds since last success',
        stat: 'Maximum',
        metrics: perSweep([METRICS.secondsSinceLastSuccessfulSweep]),
      },
    ],
    config.aws.region,
  );
}

function attentionRow(config: Config, index: number): Widget[] {
  const ns = config.observability.metrics.namespace;
  return row(
    index,
    [
      {
        width: 6,
        title: 'Accounts needing re-authorisation',
        stat: 'Maximum',
        metrics: [line(ns, METRICS.accountsNeedingReauth, [])],
      },
      {
        width: 6,
        title: 'Sagas needing attention',
        stat: 'Maximum',
        metrics: [line(ns, METRICS.sagasNeedingAttention, [])],
      },
      { width: 6, title: 'Saga compensations run', stat: 'Sum', metrics: [line(ns, METRICS.sagaCompensations, [])] },
      {
        width: 6,
        title: 'Claims and schedules needing attention',
        stat: 'Maximum',
        metrics: [line(ns, METRICS.claimsNeedingAttention, []), line(ns, METRICS.schedulesNeedingAttention, [])],
      },
    ],
    config.aws.region,
  );
}

/** Gauges at their worst in the period, the repairs summed. */
function inventoryRow(config: Config, index: number): Widget[] {
  const ns = config.observability.metrics.namespace;
  return row(
    index,
    [
      {
        width: 12,
        title: 'Inventory: oversold SKUs, unrepaired drift listings, drift repaired',
        stat: 'Maximum',
        metrics: [
          line(ns, METRICS.oversoldSkus, []),
          line(ns, METRICS.unrepairedDriftListings, []),
          line(ns, METRICS.driftRepaired, [], { stat: 'Sum' }),
        ],
      },
      {
        width: 6,
        title: 'Temporal workflow task failures',
        stat: 'Sum',
        metrics: [line(ns, METRICS.workflowTaskFailures, [])],
      },
    ],
    config.aws.region,
  );
}

export function dashboardBody(config: Config): { widgets: Widget[] } {
  const families = [...new Set(QUEUES.map((queue) => queue.family))];
  const familyRows = families.flatMap((family, index) =>
    familyRow(
      config,
      index,
      family,
      QUEUES.filter((queue) => queue.family === family),
    ),
  );
  return {
    widgets: [
      ...familyRows,
      ...sweepsRow(config, families.length),
      ...attentionRow(config, families.length + 1),
      ...inventoryRow(config, families.length + 2),
    ],
  };
}
