/**
 * The reduced chaos run (docs/chaos.md): a few hundred messages over 20 sellers (about 50 accounts,
 * most sharing SKUs across marketplaces) through the real roles on ElasticMQ while each role is
 * killed and paused once, each server restarted and crashed once (one crash during a pause), the SQS
 * fault proxy loses send, receive and delete answers once each, and the marketplaces misbehave; at
 * the end every listing must match PostgreSQL.
 * `CHAOS_SEED` replays a run; the default seed keeps CI's plan the same from run to run.
 */
import { CHAOS_EVENT_KINDS } from '../../scripts/chaos/plan';
import { formatReport, runChaos, writeReport } from '../../scripts/chaos/run';

jest.setTimeout(20 * 60_000);

it('loses nothing, does nothing twice and keeps each account in order under kills, restarts and faults', async () => {
  const seed = Number(process.env.CHAOS_SEED ?? 20261123);
  const lines: string[] = [];
  const report = await runChaos(
    {
      seed,
      // ElasticMQ, like AWS, hands out several messages of one FIFO group per receive (fauxqs one).
      sqs: 'elasticmq',
      messages: 400,
      sellers: 20,
      rounds: 1,
      sagaFailures: 4,
      deadLetterAccounts: 1,
      // About as long as the events take (three pauses of 65-80 s among them), so they meet traffic.
      produceSeconds: 240,
      drainTimeoutSeconds: 600,
    },
    (line) => lines.push(line),
  );
  writeReport(report);
  const violations = report.checks.filter((check) => check.violation && check.value > 0);
  expect({ violations, report: violations.length ? formatReport(report) : 'passed' }).toEqual({
    violations: [],
    report: 'passed',
  });
  // Every planned kind of event happened, and the run really moved the traffic.
  expect(new Set(report.events.map((event) => event.kind)).size).toBe(CHAOS_EVENT_KINDS.length);
  // At least one pause was overlapped by a server crash.
  expect(report.events.filter((event) => event.overlappedBy).length).toBeGreaterThanOrEqual(1);
  // Each lost-answers window met calls of its kind and lost some of their answers.
  expect(report.sqsAnswersLost).toEqual({
    send: expect.any(Number),
    receive: expect.any(Number),
    delete: expect.any(Number),
  });
  expect(Math.min(...Object.values(report.sqsAnswersLost))).toBeGreaterThan(0);
  const completed = report.checks.find((check) => check.name === 'completed')!.value;
  expect(completed).toBeGreaterThanOrEqual(400);
});
