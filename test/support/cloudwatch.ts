/** Reading back what the roles put into CloudWatch (moto's server from the stack), for the tests. */
import { GetMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Dimensions, Metric } from '../../src/observability/metrics';

export type Stat = 'Sum' | 'Maximum' | 'Minimum' | 'Average' | 'SampleCount';

/** One statistic of one series over the last ten minutes, summed across its periods; undefined: no data. */
export async function readStatistic(
  cloudWatch: CloudWatchClient,
  namespace: string,
  metric: Metric,
  dimensions: Dimensions,
  stat: Stat,
): Promise<number | undefined> {
  const now = Date.now();
  const { MetricDataResults = [] } = await cloudWatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - 10 * 60_000),
      EndTime: new Date(now + 60_000),
      MetricDataQueries: [
        {
          Id: 'q',
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: metric.name,
              Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
            },
            Period: 600,
            Stat: stat,
          },
        },
      ],
    }),
  );
  const values = MetricDataResults[0]?.Values ?? [];
  if (values.length === 0) return undefined;
  return stat === 'Maximum'
    ? Math.max(...values)
    : stat === 'Minimum'
      ? Math.min(...values)
      : values.reduce((a, b) => a + b, 0);
}
