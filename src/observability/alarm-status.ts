/**
 * What `npm run alarms -- status` shows: every alarm provisioned for this environment, read back
 * with DescribeAlarms (what is really there, not what alarms.ts would create), its metric or
 * metric-math expression read back with GetMetricData over Period × EvaluationPeriods, and the state
 * it would be in (alarm-evaluation.ts). Expressions are evaluated here (metric-math.ts), because moto
 * answers expression queries with nothing; against AWS the same reading gives the same answer.
 */
import {
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricAlarm,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Config } from '../config';
import { comparisonSymbol, evaluateAlarm, type AlarmState, type Evaluation } from './alarm-evaluation';
import { evaluateExpression, type Series } from './metric-math';

export interface AlarmStatus extends Evaluation {
  name: string;
  /** What is watched: `namespace metric {dimensions} statistic`, or the expression. */
  watches: string;
  /** One value per period, oldest first; null where no data point. */
  values: (number | null)[];
  threshold: number;
  comparison: string;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: string;
  /** What CloudWatch itself records (moto never changes it from its first state). */
  recordedState?: string;
}

const MINUTE_MS = 60_000;

/** Every alarm of this environment: named `<namespace> <kind>: <QUEUE_PREFIX><subject>` (alarms.ts). */
export async function provisionedAlarms(cloudWatch: CloudWatchClient, config: Config): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new DescribeAlarmsCommand({
        AlarmNamePrefix: `${config.observability.metrics.namespace} `,
        MaxRecords: 100,
        NextToken,
      }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  const ours = (alarm: MetricAlarm) => alarm.AlarmName?.split(': ')[1]?.startsWith(config.queues.prefix) === true;
  return alarms.filter(ours).sort((a, b) => a.AlarmName!.localeCompare(b.AlarmName!));
}

/**
 * The evaluation range ending at the end of the minute in progress at `at` (so a figure published
 * seconds ago counts; CloudWatch itself judges once that minute has closed).
 */
export function evaluationRange(at: Date, period: number, evaluationPeriods: number): { start: Date; end: Date } {
  const end = Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  return { start: new Date(end - period * evaluationPeriods * 1_000), end: new Date(end) };
}

/** The queries to read: the alarm's one metric, or every metric its expression uses (all returned). */
function queriesOf(alarm: MetricAlarm): { queries: MetricDataQuery[]; period: number; expression?: string } {
  if (alarm.Metrics?.length) {
    const stats = alarm.Metrics.filter((query) => query.MetricStat);
    const expression = alarm.Metrics.find((query) => query.Expression && query.ReturnData !== false);
    return {
      queries: stats.map((query) => ({ ...query, ReturnData: true })),
      period: stats[0]?.MetricStat?.Period ?? alarm.Period ?? 60,
      expression: expression?.Expression,
    };
  }
  return {
    queries: [
      {
        Id: 'metric',
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions },
          Period: alarm.Period,
          Stat: alarm.Statistic ?? alarm.ExtendedStatistic,
        },
      },
    ],
    period: alarm.Period ?? 60,
  };
}

function watches(alarm: MetricAlarm, expression?: string): string {
  if (expression) return expression;
  const dimensions = (alarm.Dimensions ?? []).map((d) => `${d.Name}=${d.Value}`).join(',');
  return `${alarm.Namespace} ${alarm.MetricName}${dimensions ? ` {${dimensions}}` : ''} ${alarm.Statistic ?? alarm.ExtendedStatistic}`;
}

/** One series per query id, a value per period of the range (index = whole periods since its start). */
async function readSeries(
  cloudWatch: CloudWatchClient,
  queries: MetricDataQuery[],
  range: { start: Date; end: Date },
  period: number,
  periods: number,
): Promise<Record<string, Series>> {
  const { MetricDataResults = [] } = await cloudWatch.send(
    new GetMetricDataCommand({ StartTime: range.start, EndTime: range.end, MetricDataQueries: queries }),
  );
  const series: Record<string, Series> = {};
  for (const query of queries) {
    const result = MetricDataResults.find((r) => r.Id === query.Id);
    const values: (number | undefined)[] = Array.from({ length: periods }, () => undefined);
    (result?.Timestamps ?? []).forEach((timestamp, i) => {
      const index = Math.floor((timestamp.getTime() - range.start.getTime()) / (period * 1_000));
      if (index >= 0 && index < periods) values[index] = result!.Values![i];
    });
    series[query.Id!] = values;
  }
  return series;
}

export async function alarmStatus(cloudWatch: CloudWatchClient, alarm: MetricAlarm, at: Date): Promise<AlarmStatus> {
  const { queries, period, expression } = queriesOf(alarm);
  const evaluationPeriods = alarm.EvaluationPeriods ?? 1;
  const range = evaluationRange(at, period, evaluationPeriods);
  const series = await readSeries(cloudWatch, queries, range, period, evaluationPeriods);
  const values = expression ? evaluateExpression(expression, series, evaluationPeriods) : series.metric!;
  const rule = {
    threshold: alarm.Threshold ?? 0,
    comparison: alarm.ComparisonOperator ?? 'GreaterThanOrEqualToThreshold',
    evaluationPeriods,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? evaluationPeriods,
    treatMissingData: alarm.TreatMissingData ?? 'missing',
    currentState: alarm.StateValue as AlarmState | undefined,
  };
  comparisonSymbol(rule.comparison);
  return {
    name: alarm.AlarmName!,
    watches: watches(alarm, expression),
    values: values.map((value) => value ?? null),
    period,
    ...rule,
    recordedState: alarm.StateValue,
    ...evaluateAlarm(rule, values),
  };
}

/** Every provisioned alarm's status as of `at` (default now). */
export async function alarmStatuses(
  cloudWatch: CloudWatchClient,
  config: Config,
  at = new Date(),
): Promise<AlarmStatus[]> {
  const alarms = await provisionedAlarms(cloudWatch, config);
  return Promise.all(alarms.map((alarm) => alarmStatus(cloudWatch, alarm, at)));
}
