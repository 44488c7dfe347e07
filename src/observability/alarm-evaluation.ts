/**
 * The state a CloudWatch metric alarm would be in, given its data points: a pure function, because
 * moto (the local CloudWatch) stores alarms but never evaluates them. It follows CloudWatch's
 * documented semantics (docs/operations.md#alarm-status has the links):
 *
 * - each period gives one data point; it breaches when `value <comparison> threshold` holds;
 * - "M out of N": ALARM when at least DatapointsToAlarm (M, default EvaluationPeriods) of the last
 *   EvaluationPeriods (N) data points breach, consecutive or not; otherwise OK;
 * - TreatMissingData for the periods without a data point: `breaching` and `notBreaching` fill them in
 *   as such; `missing` (the default) leaves them out, and when every period is missing the alarm is
 *   INSUFFICIENT_DATA; `ignore` leaves them out too, and when every period is missing the alarm keeps
 *   its current state. With some real data points and fewer than M of them, `missing` and `ignore`
 *   judge on the real ones (CloudWatch's table: one breaching point among missing ones alarms).
 *
 * One simplification: CloudWatch retrieves a few periods more than N (its evaluation range) and, if
 * enough real data points are there, judges on the latest N real ones instead of filling. We read
 * exactly N periods, so where data is sparse we fill where CloudWatch may look further back.
 */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

const COMPARISONS: Record<string, { symbol: string; breaches: (value: number, threshold: number) => boolean }> = {
  GreaterThanOrEqualToThreshold: { symbol: '>=', breaches: (v, t) => v >= t },
  GreaterThanThreshold: { symbol: '>', breaches: (v, t) => v > t },
  LessThanThreshold: { symbol: '<', breaches: (v, t) => v < t },
  LessThanOrEqualToThreshold: { symbol: '<=', breaches: (v, t) => v <= t },
};

export interface AlarmRule {
  threshold: number;
  comparison: string;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  treatMissingData?: string;
  /** The state CloudWatch holds now: what `ignore` keeps when every data point is missing. */
  currentState?: AlarmState;
}

export interface Evaluation {
  state: AlarmState;
  /** Data points breaching, of those judged (after filling). */
  breaching: number;
  judged: number;
  reason: string;
}

function comparisonOf(comparison: string) {
  const known = COMPARISONS[comparison];
  if (!known) throw new Error(`comparison ${comparison} is not supported here (anomaly-detection bands are not)`);
  return known;
}

export function comparisonSymbol(comparison: string): string {
  return comparisonOf(comparison).symbol;
}

/** `datapoints`: one per period of the evaluation range, oldest first, undefined where missing. */
export function evaluateAlarm(rule: AlarmRule, datapoints: readonly (number | undefined)[]): Evaluation {
  const comparison = comparisonOf(rule.comparison);
  const required = rule.datapointsToAlarm ?? rule.evaluationPeriods;
  const treat = (rule.treatMissingData ?? 'missing') as TreatMissingData;
  const lastN = datapoints.slice(-rule.evaluationPeriods);
  const real = lastN.filter((value): value is number => value !== undefined);
  const missing = lastN.length - real.length + Math.max(0, rule.evaluationPeriods - lastN.length);
  const breachingReal = real.filter((value) => comparison.breaches(value, rule.threshold)).length;

  if (treat === 'breaching' || treat === 'notBreaching') {
    const breaching = breachingReal + (treat === 'breaching' ? missing : 0);
    return judged(breaching >= required, breaching, rule.evaluationPeriods, required, missing, treat);
  }
  if (real.length === 0) {
    const state = treat === 'ignore' ? (rule.currentState ?? 'INSUFFICIENT_DATA') : 'INSUFFICIENT_DATA';
    return {
      state,
      breaching: 0,
      judged: 0,
      reason: `no data point in the last ${rule.evaluationPeriods} period(s) (TreatMissingData ${treat})`,
    };
  }
  const needed = Math.min(required, real.length);
  return judged(breachingReal >= needed, breachingReal, real.length, needed, missing, treat);
}

function judged(
  alarm: boolean,
  breaching: number,
  judgedCount: number,
  required: number,
  missing: number,
  treat: TreatMissingData,
): Evaluation {
  const filled = missing ? `; ${missing} missing, treated as ${treat}` : '';
  return {
    state: alarm ? 'ALARM' : 'OK',
    breaching,
    judged: judgedCount,
    reason: `${breaching} of ${judgedCount} data point(s) breaching, ${required} needed${filled}`,
  };
}
