/** Reading back what the roles put into CloudWatch (moto's server from the stack), for the tests. */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Dimensions, Metric } from '../../src/observability/metrics';

export type Stat = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';

/**
 * One statistic of one series over the last ten minutes, summed across its periods; undefined: no data.
 *
 * GetMetricStatistics, not GetMetricData: moto's GetMetricData drops the namespace from a query that
 * names dimensions, so a test's `Sweep: claim-sweeper` read the figures `npm run dev`'s metrics role
 * put under its own namespace minutes before. GetMetricStatistics keeps to the namespace; every series
 * the service publishes has at most one dimension, so moto matching dimensions as a subset reads the
 * same series real CloudWatch does.
 */
export async function readStatistic(
  cloudWatch: CloudWatchClient,
  namespace: string,
  metric: Metric,
  dimensions: Dimensions,
  stat: Stat,
): Promise<number | undefined> {
  const now = Date.now();
  const { Datapoints = [] } = await cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: metric.name,
      Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      StartTime: new Date(now - 10 * 60_000),
      EndTime: new Date(now + 60_000),
      Period: 600,
      Statistics: [stat],
    }),
  );
  const values = Datapoints.map((point) => point[stat]).filter((value): value is number => value !== undefined);
  if (values.length === 0) return undefined;
  return stat === 'Maximum'
    ? Math.max(...values)
    : stat === 'Minimum'
      ? Math.min(...values)
      : values.reduce((a, b) => a + b, 0);
}
