/**
 * One trace id from the sweep to the activities: the sweep's "message sent" line, the envelope in
 * SQS, the poller's lines, the workflow's memo and the worker's activity lines all carry it, on the
 * real stack. Every line is JSON, and none holds a seeded secret.
 */
import { createLogger, type Logger } from '../../src/platform/logger';
import { workflowIdFor } from '../../src/contracts/workflows';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { eventually } from '../support/pipeline';
import { SECRET_MARKER } from '../../scripts/harness/sellers';
import { useWorkflowBench } from '../support/workflow-bench';

jest.setTimeout(120_000);

type Line = Record<string, unknown>;

function capturingLogger(
  role: string,
  level: 'info' | 'debug' = 'info',
): { log: Logger; lines: Line[]; raw: string[] } {
  const raw: string[] = [];
  const lines: Line[] = [];
  const log = createLogger(
    { level, role },
    {
      write: (line: string) => {
        raw.push(line);
        lines.push(JSON.parse(line) as Line);
      },
    },
  );
  return { log, lines, raw };
}

const sweeper = capturingLogger('sweeper', 'debug');
const poller = capturingLogger('poller');
const worker = capturingLogger('worker');
const bench = useWorkflowBench({ log: worker.log });

it('carries one trace id from the sweep through SQS, the poller and the workflow to the activity logs', async () => {
  const past = new Date(Date.now() - 60_000);
  const seller = await bench.seedSeller({
    marketplace: 'flipkart',
    payouts: [{ payoutId: 'trace-p1', orderId: 'trace-o1', amountPaise: 1_000, paidAt: past.toISOString() }],
  });
  await bench.pool.query(
    `INSERT INTO schedules (account_id, kind, cadence, next_run_at, payload) VALUES ($1, 'payouts', '1h', $2, '{}')`,
    [seller.accountId, past],
  );

  const report = await runSweep({ ...bench.t.deps, log: sweeper.log }, findSweep('scheduling-sweep'), {
    trigger: 'manual',
  });
  expect(report.messagesSent).toBe(1);
  const sent = sweeper.lines.find((line) => line.msg === 'message sent' && line.accountId === seller.accountId);
  expect(sent).toMatchObject({ role: 'sweeper', type: 'payout.sync', queue: 'payout-sync' });
  const traceId = sent!.traceId as string;
  // Per message at debug only; at info, one line for the page.
  expect(sent).toMatchObject({ level: 'debug' });
  expect(sweeper.lines.filter((line) => line.msg === 'page of messages sent')).toEqual([
    expect.objectContaining({ level: 'info', sent: 1, failed: 0, sentByQueue: { 'payout-sync': 1 } }),
  ]);
  expect(traceId).toMatch(/^[0-9a-f-]{36}$/);

  await bench.startPoller('payout-sync', poller.log);

  const traced = (lines: Line[]) => lines.filter((line) => line.traceId === traceId);
  await eventually(
    async () => traced(poller.lines).map((line) => line.msg),
    (messages) => messages.includes('workflow completed; message deleted'),
  );
  expect(traced(poller.lines).map((line) => line.msg)).toEqual([
    'workflow started',
    'workflow completed; message deleted',
  ]);
  expect(traced(poller.lines)[0]).toMatchObject({ role: 'poller', accountId: seller.accountId, type: 'payout.sync' });

  const workflowId = workflowIdFor({
    ...bench.envelope('payout.sync', seller),
    idempotencyKey: sent!.idempotencyKey as string,
  });
  const described = await bench.client.workflow.getHandle(workflowId).describe();
  expect(described.memo).toMatchObject({ traceId });

  const activityLines = traced(worker.lines).filter((line) => line.msg === 'activity completed');
  expect(activityLines).toEqual([
    expect.objectContaining({ role: 'worker', activityType: 'syncPayouts', workflowId, attempt: 1 }),
  ]);
  expect(activityLines[0]!.durationMs).toEqual(expect.any(Number));

  // JSON throughout, and nothing seeded as a secret made it into any line.
  for (const { raw } of [sweeper, poller, worker]) {
    expect(raw.join('')).not.toContain(SECRET_MARKER);
  }
});
