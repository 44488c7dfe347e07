/**
 * A run that times out is a failure like any other: it counts against the message's budget, the
 * message is run again after the production retry delay, and once the budget is spent it is
 * dead-lettered with the reason `timed out` and the failure type `timed-out`, with no run beyond it.
 *
 * The workflow execution timeout is 3 seconds here (the production ones are hours): Temporal closes a
 * run TimedOut at its timeout whatever its length, and the poller sees only that status, so a short one
 * shows the same path without waiting hours. On a Standard queue, so the give-back path (the retry
 * delay as visibility) is covered too. A saga's run that times out (inventory deduct, on its FIFO
 * queue) is recorded as needing attention at once, while its retries are still to come.
 */
import { workflowIdFor } from '../../src/contracts/workflows';
import { findQueue } from '../../src/queues/catalogue';
import { DEAD_LETTER_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, sqsServers } from '../support/sqs';

jest.setTimeout(600_000);

const queue = findQueue('returns-sync');
const { failedRunBudget } = queue;
const { retryDelaySeconds } = queue.poller;
const TIMEOUT_SECONDS = 3;

describe.each(sqsServers())('a run that times out on %s', (_server, sqsOverrides) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['background', 'inventory'], sqsOverrides);
    const executionTimeouts = { 'returns.sync': TIMEOUT_SECONDS / 3_600, 'inventory.deduct': TIMEOUT_SECONDS / 3_600 };
    await bench.startPoller('returns-sync', undefined, { executionTimeouts });
    await bench.startPoller('inventory-deduct', undefined, { executionTimeouts });
  });
  afterAll(() => bench?.close());

  it('counts against the budget; the message is dead-lettered as timed out after budget runs', async () => {
    const slow = envelope('returns.sync', 'timeout-1', { sleepMs: 600_000 });
    await bench.send('returns-sync', slow);

    const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'returns-sync')!.dlqUrl;
    const dead = await eventually(
      () => drainRawQueue(bench.t.deps.sqs, dlqUrl),
      (messages) => messages.length > 0,
      failedRunBudget * (retryDelaySeconds + TIMEOUT_SECONDS) * 1_000 + 60_000,
    );
    expect(dead.map((m) => JSON.parse(m.Body!).idempotencyKey)).toEqual([slow.idempotencyKey]);
    const said = (name: string) => dead[0]!.MessageAttributes?.[name]?.StringValue;
    expect(said(DEAD_LETTER_ATTRIBUTES.disposition)).toBe('failed');
    expect(said(DEAD_LETTER_ATTRIBUTES.failureType)).toBe('timed-out');
    expect(said(DEAD_LETTER_ATTRIBUTES.reason)).toMatch(/^timed out/);

    // Every run timed out, the retry delay apart, and none ran after the budget was spent.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const runs = [];
    for await (const run of bench.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(slow)}'` }))
      runs.push(run);
    expect(runs.map((run) => run.status.name)).toEqual(Array(failedRunBudget).fill('TIMED_OUT'));
    const byStart = runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime());
    for (let i = 1; i < byStart.length; i++) {
      const gap = byStart[i]!.startTime.getTime() - byStart[i - 1]!.closeTime!.getTime();
      expect(gap).toBeGreaterThanOrEqual(retryDelaySeconds * 1_000 - 1_000);
    }
  });
  it('records a saga whose run timed out as needing attention at once, before its retries run', async () => {
    const deduct = envelope('inventory.deduct', 'timeout-saga-1', { sleepMs: 600_000 });
    await bench.send('inventory-deduct', deduct);
    const workflowId = workflowIdFor(deduct);

    const row = await eventually(
      async () =>
        (await bench.t.deps.pool.query('SELECT status, reason FROM saga_runs WHERE workflow_id = $1', [workflowId]))
          .rows[0],
      Boolean,
      (TIMEOUT_SECONDS + 30) * 1_000,
    );
    expect(row).toEqual({ status: 'needs_attention', reason: expect.stringMatching(/^timed out/) });
    // Recorded on the first time-out: the retry delay has not passed, so only that one run exists.
    const runs = [];
    for await (const run of bench.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run);
    expect(runs.map((run) => run.status.name)).toEqual(['TIMED_OUT']);
  });
});
