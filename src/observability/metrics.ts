/**
 * Our CloudWatch metrics: the catalogue (names, units, dimensions; docs/operations.md explains each),
 * a buffer that processes record into, and the publisher that sends it with `PutMetricData` on an
 * interval. Counters are summed and latencies kept as statistic sets between flushes, so a busy
 * poller sends a handful of datums a minute however many messages it handles.
 */
import {
  CloudWatchClient,
  PutMetricDataCommand,
  type MetricDatum,
  type StandardUnit,
} from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import type { Logger } from '../platform/logger';

export const METRICS = {
  // Per sweep (dimension Sweep), from the metrics role.
  sweepJobsWaiting: { name: 'SweepJobsWaiting', unit: 'Count' },
  sweepJobsActive: { name: 'SweepJobsActive', unit: 'Count' },
  sweepJobsDelayed: { name: 'SweepJobsDelayed', unit: 'Count' },
  sweepJobsFailed: { name: 'SweepJobsFailed', unit: 'Count' },
  secondsSinceLastSuccessfulSweep: { name: 'SecondsSinceLastSuccessfulSweep', unit: 'Seconds' },
  // Per SQS queue and DLQ (dimension QueueName), from the metrics role.
  messagesVisible: { name: 'MessagesVisible', unit: 'Count' },
  messagesInFlight: { name: 'MessagesInFlight', unit: 'Count' },
  messagesDelayed: { name: 'MessagesDelayed', unit: 'Count' },
  // Per SQS queue (dimension QueueName), from the pollers.
  messagesReceived: { name: 'MessagesReceived', unit: 'Count' },
  workflowsStarted: { name: 'WorkflowsStarted', unit: 'Count' },
  workflowsCompleted: { name: 'WorkflowsCompleted', unit: 'Count' },
  workflowsFailed: { name: 'WorkflowsFailed', unit: 'Count' },
  messagesDeadLettered: { name: 'MessagesDeadLettered', unit: 'Count' },
  sendToStartLatency: { name: 'SendToStartLatency', unit: 'Milliseconds' },
  // Service-wide (no dimension), from the metrics role.
  accountsNeedingReauth: { name: 'AccountsNeedingReauth', unit: 'Count' },
  sagasNeedingAttention: { name: 'SagasNeedingAttention', unit: 'Count' },
  sagaCompensations: { name: 'SagaCompensations', unit: 'Count' },
  claimsNeedingAttention: { name: 'ClaimsNeedingAttention', unit: 'Count' },
  schedulesNeedingAttention: { name: 'SchedulesNeedingAttention', unit: 'Count' },
  oldestParkedLetterAge: { name: 'OldestParkedLetterAge', unit: 'Seconds' },
  oversoldSkus: { name: 'OversoldSkus', unit: 'Count' },
  unrepairedDriftListings: { name: 'UnrepairedDriftListings', unit: 'Count' },
  driftRepaired: { name: 'DriftRepaired', unit: 'Count' },
  // Service-wide, from each Temporal worker (its SDK's temporal_workflow_task_execution_failed).
  workflowTaskFailures: { name: 'WorkflowTaskFailures', unit: 'Count' },
} as const satisfies Record<string, { name: string; unit: StandardUnit }>;

/** A metric by name and unit: ours (METRICS) or one of another namespace's (the local `AWS/SQS` mirror). */
export type Metric = { readonly name: string; readonly unit: StandardUnit };
export type Dimensions = Readonly<Record<string, string>>;

/** PutMetricData takes at most 1000 datums (and 1 MB) a call; ours are small. */
const DATUMS_PER_CALL = 500;

interface Series {
  metric: Metric;
  dimensions: Dimensions;
}

interface Statistics {
  count: number;
  sum: number;
  min: number;
  max: number;
}

const seriesKey = ({ metric, dimensions }: Series) =>
  `${metric.name}|${Object.entries(dimensions)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${value}`)
    .join(',')}`;

/** What a process recorded since its last flush. */
export class MetricsBuffer {
  private readonly counters = new Map<string, Series & { value: number }>();
  /** Counters published every interval, as 0 when nothing touched them: a dashboard line never goes empty. */
  private readonly declared = new Map<string, Series>();
  private readonly gauges = new Map<string, Series & { value: number }>();
  private readonly distributions = new Map<string, Series & Statistics>();

  /** Adds to a counter; a counter touched with 0 is still sent, so idle looks idle, not missing. */
  count(metric: Metric, dimensions: Dimensions, value = 1): void {
    const key = seriesKey({ metric, dimensions });
    const current = this.counters.get(key) ?? { metric, dimensions, value: 0 };
    this.counters.set(key, { ...current, value: current.value + value });
  }

  /** From now on the counter is sent every interval, 0 when nothing happened (the declaration outlives drains). */
  declareCounter(metric: Metric, dimensions: Dimensions): void {
    this.declared.set(seriesKey({ metric, dimensions }), { metric, dimensions });
  }

  /** The latest value wins. */
  gauge(metric: Metric, dimensions: Dimensions, value: number): void {
    this.gauges.set(seriesKey({ metric, dimensions }), { metric, dimensions, value });
  }

  observe(metric: Metric, dimensions: Dimensions, value: number): void {
    const key = seriesKey({ metric, dimensions });
    const current = this.distributions.get(key);
    this.distributions.set(
      key,
      current
        ? {
            ...current,
            count: current.count + 1,
            sum: current.sum + value,
            min: Math.min(current.min, value),
            max: Math.max(current.max, value),
          }
        : { metric, dimensions, count: 1, sum: value, min: value, max: value },
    );
  }

  /** Everything recorded so far as CloudWatch datums; the buffer starts empty again. */
  drain(timestamp = new Date()): MetricDatum[] {
    const datum = ({ metric, dimensions }: Series): MetricDatum => ({
      MetricName: metric.name,
      Unit: metric.unit,
      Timestamp: timestamp,
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    });
    for (const [key, series] of this.declared)
      if (!this.counters.has(key)) this.count(series.metric, series.dimensions, 0);
    const datums: MetricDatum[] = [
      ...[...this.counters.values(), ...this.gauges.values()].map((series) => ({
        ...datum(series),
        Value: series.value,
      })),
      ...[...this.distributions.values()].map((series) => ({
        ...datum(series),
        StatisticValues: { SampleCount: series.count, Sum: series.sum, Minimum: series.min, Maximum: series.max },
      })),
    ];
    this.counters.clear();
    this.gauges.clear();
    this.distributions.clear();
    return datums;
  }
}

/** Without `CLOUDWATCH_ENDPOINT` this is real AWS, with credentials from the usual provider chain. */
export function createCloudWatchClient(config: Config): CloudWatchClient {
  return new CloudWatchClient({ region: config.aws.region, endpoint: config.aws.cloudWatchEndpoint });
}

export async function putMetrics(
  cloudWatch: CloudWatchClient,
  namespace: string,
  datums: MetricDatum[],
): Promise<void> {
  for (let start = 0; start < datums.length; start += DATUMS_PER_CALL) {
    await cloudWatch.send(
      new PutMetricDataCommand({ Namespace: namespace, MetricData: datums.slice(start, start + DATUMS_PER_CALL) }),
    );
  }
}

export interface MetricsFlusherOptions {
  cloudWatch: CloudWatchClient;
  namespace: string;
  intervalMs: number;
  log: Logger;
  /** Runs before each flush: the metrics role samples its gauges here. */
  beforeFlush?: (buffer: MetricsBuffer) => Promise<void>;
  /**
   * Publishes datums of other namespaces after each sample (the metrics role's local `AWS/SQS`
   * mirror); what it publishes, and its failures, never hold back the buffer's own datums.
   */
  afterSample?: (timestamp: Date) => Promise<void>;
  /** The time datums are stamped with; tests move it to a window of their own. */
  now?: () => Date;
}

/** A flusher on the configured namespace and interval: the one every publishing role uses. */
export function configuredFlusher(
  config: Config,
  options: Pick<MetricsFlusherOptions, 'cloudWatch' | 'log' | 'beforeFlush' | 'afterSample' | 'now'>,
): MetricsFlusher {
  const { namespace, intervalSeconds } = config.observability.metrics;
  return new MetricsFlusher({ ...options, namespace, intervalMs: intervalSeconds * 1_000 });
}

/**
 * Flushes a buffer on an interval. A failed PutMetricData loses that interval's figures (logged) but
 * never the process: metrics must not take the pipeline down with them.
 */
export class MetricsFlusher {
  readonly buffer = new MetricsBuffer();
  private timer?: NodeJS.Timeout;
  private flushing = Promise.resolve();

  constructor(private readonly options: MetricsFlusherOptions) {}

  start(): this {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Serialised: an interval that fires while a slow flush runs waits for it. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  /** Stops the interval and sends what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async flushOnce(): Promise<void> {
    const { cloudWatch, namespace, log, beforeFlush, afterSample, now = () => new Date() } = this.options;
    // A failed sample (a server down) still lets the counters already recorded go out.
    await beforeFlush?.(this.buffer).catch((error: unknown) => log.warn({ err: error }, 'metrics sample incomplete'));
    const timestamp = now();
    await afterSample?.(timestamp).catch((error: unknown) => log.warn({ err: error }, 'metrics mirror not published'));
    const datums = this.buffer.drain(timestamp);
    try {
      await putMetrics(cloudWatch, namespace, datums);
      log.debug({ datums: datums.length, namespace }, 'metrics published');
    } catch (error) {
      log.warn({ err: error, datums: datums.length }, 'metrics not published this interval');
    }
  }
}
