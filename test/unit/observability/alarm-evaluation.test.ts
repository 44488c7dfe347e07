/**
 * The alarm evaluator against CloudWatch's documented semantics ("Configuring how CloudWatch alarms
 * treat missing data" and "Alarm evaluation" in the CloudWatch user guide): M out of N data points,
 * consecutive or not; TreatMissingData breaching / notBreaching fill the gaps; missing gives
 * INSUFFICIENT_DATA only when every data point is missing; ignore keeps the current state then.
 * Data points below: X breaches, 0 does not, - is missing (the guide's notation).
 */
import { evaluateAlarm, type AlarmRule } from '../../../src/observability/alarm-evaluation';
import { evaluateExpression } from '../../../src/observability/metric-math';

const X = 5;
const O = 0;
const _ = undefined;
/** Threshold 1, >=: X breaches, 0 does not. */
const rule = (overrides: Partial<AlarmRule> = {}): AlarmRule => ({
  threshold: 1,
  comparison: 'GreaterThanOrEqualToThreshold',
  evaluationPeriods: 3,
  ...overrides,
});

describe('M out of N', () => {
  it.each([
    ['every data point breaching', [X, X, X], 'ALARM'],
    ['one not breaching of three, three needed', [X, O, X], 'OK'],
    ['none breaching', [O, O, O], 'OK'],
  ] as const)('3 of 3: %s', (_name, points, state) => {
    expect(evaluateAlarm(rule(), points).state).toBe(state);
  });

  it('2 of 3 alarms on breaching points that are not consecutive', () => {
    expect(evaluateAlarm(rule({ datapointsToAlarm: 2 }), [X, O, X]).state).toBe('ALARM');
    expect(evaluateAlarm(rule({ datapointsToAlarm: 2 }), [X, O, O]).state).toBe('OK');
  });

  it('judges only the last N periods', () => {
    expect(evaluateAlarm(rule({ evaluationPeriods: 1 }), [X, X, O]).state).toBe('OK');
  });

  it.each([
    ['GreaterThanThreshold', 1, 'OK'],
    ['GreaterThanOrEqualToThreshold', 1, 'ALARM'],
    ['LessThanThreshold', 2, 'ALARM'],
    ['LessThanOrEqualToThreshold', 0, 'OK'],
  ] as const)('%s %d', (comparison, threshold, state) => {
    expect(evaluateAlarm(rule({ comparison, threshold, evaluationPeriods: 1 }), [1]).state).toBe(state);
  });

  it('refuses a comparison it cannot judge', () => {
    expect(() => evaluateAlarm(rule({ comparison: 'LessThanLowerOrGreaterThanUpperThreshold' }), [1])).toThrow(
      /not supported/,
    );
  });
});

describe('TreatMissingData when every data point is missing', () => {
  it.each([
    ['missing', 'INSUFFICIENT_DATA'],
    [undefined, 'INSUFFICIENT_DATA'], // the default is missing
    ['breaching', 'ALARM'],
    ['notBreaching', 'OK'],
  ] as const)('%s: %s', (treatMissingData, state) => {
    expect(evaluateAlarm(rule({ treatMissingData }), [_, _, _]).state).toBe(state);
  });

  it('ignore keeps the current state', () => {
    for (const currentState of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const)
      expect(evaluateAlarm(rule({ treatMissingData: 'ignore', currentState }), [_, _, _]).state).toBe(currentState);
  });
});

describe('TreatMissingData when some data points are missing', () => {
  it('breaching fills the gaps as breaching, notBreaching as not', () => {
    expect(evaluateAlarm(rule({ treatMissingData: 'breaching' }), [X, _, _]).state).toBe('ALARM');
    expect(evaluateAlarm(rule({ treatMissingData: 'notBreaching' }), [X, _, X]).state).toBe('OK');
    expect(evaluateAlarm(rule({ treatMissingData: 'breaching' }), [O, _, X]).state).toBe('OK');
  });

  it('missing judges on the real data points: one breaching among missing ones alarms, one not does not', () => {
    expect(evaluateAlarm(rule({ treatMissingData: 'missing' }), [_, X, _]).state).toBe('ALARM');
    expect(evaluateAlarm(rule({ treatMissingData: 'missing' }), [O, _, _]).state).toBe('OK');
  });

  it('the same real data points give different states by the treatment', () => {
    const points = [_, X, _];
    const states = (['missing', 'breaching', 'notBreaching'] as const).map(
      (treatMissingData) => evaluateAlarm(rule({ treatMissingData }), points).state,
    );
    expect(states).toEqual(['ALARM', 'ALARM', 'OK']);
  });
});

describe('metric math (the consumer-stalled expression)', () => {
  const stalled = 'IF(visible > 0 AND FILL(received, 0) == 0, 1, 0)';

  it('is 1 where messages wait and none is received, a missing receive counting as none', () => {
    const result = evaluateExpression(stalled, { visible: [3, 3, 3, 0, _], received: [_, 0, 2, _, 0] }, 5);
    expect(result).toEqual([1, 1, 0, 0, _]);
  });

  it('computes arithmetic, precedence and NOT like CloudWatch, without data where an operand has none', () => {
    expect(evaluateExpression('a + b * 2', { a: [1, _], b: [2, 2] }, 2)).toEqual([5, _]);
    expect(evaluateExpression('NOT (a >= 2) OR a == 5', { a: [1, 5] }, 2)).toEqual([1, 1]);
    expect(evaluateExpression('IF(a > 1, a)', { a: [1, 3] }, 2)).toEqual([_, 3]);
  });

  it('refuses a function it does not know rather than guess', () => {
    expect(() => evaluateExpression('RATE(a)', { a: [1] }, 1)).toThrow(/not supported/);
    expect(() => evaluateExpression('b', { a: [1] }, 1)).toThrow(/no query with id b/);
  });
});
