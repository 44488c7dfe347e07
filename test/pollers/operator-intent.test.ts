/**
 * Operator intent is respected: a run an operator terminates or cancels dead-letters its message as
 * `stopped` (terminated) or `cancelled`, with who and why, and the work is never started again unless the message is a replay made
 * after that run; completed work is never redone, even once Temporal has forgotten its run.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { WorkflowNotFoundError } from '@temporalio/client';
import { serializeEnvelope, type Envelope } from '../../src/contracts/envelope';
import { WORKFLOW_TYPES, workflowIdFor } from '../../src/contracts/workflows';
import { workflowStartOptions } from '../../src/pollers/workflow-runner';
import { findQueue, queueName, type QueueDefinition } from '../../src/queues/catalogue';
import { DEAD_LETTER_ATTRIBUTES, REPLAY_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { fifoAttributes } from '../../src/queues/routing';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, queueIsEmpty, sqsServers } from '../support/sqs';

jest.setTimeout(300_000);

/** Long enough that the run is still going whenever the test stops it. */
const LONG_RUN = { sleepMs: 600_000 };

describe.each(sqsServers())('operator intent on %s', (_server, sqsOverrides) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account', 'inventory'], sqsOverrides);
    await bench.startPoller('account-sync');
    await bench.startPoller('inventory-deduct');
  });
  afterAll(() => bench?.close());

  const dlqUrl = (name: string) => bench.t.queues.find((q) => q.queue.name === name)!.dlqUrl;
  const said = (message: Message, name: string) => message.MessageAttributes?.[name]?.StringValue;
  const handle = (message: Envelope) => bench.client.workflow.getHandle(workflowIdFor(message));
  const runsInTemporal = async (message: Envelope) =>
    (await bench.client.workflow.count(`WorkflowId = '${workflowIdFor(message)}'`)).count;
  const startsOf = async (message: Envelope) =>
    (await bench.executions()).filter((r) => r.idempotency_key === message.idempotencyKey && r.phase === 'start');

  async function whenRunning(message: Envelope): Promise<void> {
    await eventually(
      async () => (await startsOf(message)).length,
      (n) => n > 0,
    );
  }

  async function deadLetters(queue: string, count = 1): Promise<Message[]> {
    const all: Message[] = [];
    await eventually(
      async () => all.push(...(await drainRawQueue(bench.t.deps.sqs, dlqUrl(queue)))),
      () => all.length >= count,
    );
    return all;
  }

  /** Sends the message again as a new SQS message, optionally marked as a replay made now. */
  async function sendAgain(queue: QueueDefinition, message: Envelope, replayedAt?: Date): Promise<void> {
    await bench.t.deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: bench.t.queueUrl(queue.name),
        MessageBody: serializeEnvelope(message),
        ...fifoAttributes(message),
        MessageDeduplicationId: randomUUID(),
        ...(replayedAt && {
          MessageAttributes: {
            [REPLAY_ATTRIBUTES.replayOf]: { DataType: 'String', StringValue: 'test' },
            [REPLAY_ATTRIBUTES.replayedAt]: { DataType: 'String', StringValue: replayedAt.toISOString() },
          },
        }),
      }),
    );
  }

  const queueDrained = (name: string) =>
    eventually(() => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl(name)), Boolean);

  it('terminate: dead-letters the message as stopped with who and why, records the saga, never runs it again', async () => {
    const deduct = envelope('inventory.deduct', 'term-1', LONG_RUN);
    await bench.send('inventory-deduct', deduct);
    await whenRunning(deduct);
    await handle(deduct).terminate('bad deploy');

    const [letter] = await deadLetters('inventory-deduct');
    expect(JSON.parse(letter!.Body!).idempotencyKey).toBe(deduct.idempotencyKey);
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.disposition)).toBe('stopped');
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.failureType)).toBe('terminated');
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.reason)).toBe(
      `terminated by ${bench.client.options.identity}: bad deploy`,
    );
    // In the middle of its saga (no saga_runs row of its own): needs attention, so the alarm fires.
    const { rows } = await bench.t.deps.pool.query('SELECT saga, status FROM saga_runs WHERE workflow_id = $1', [
      workflowIdFor(deduct),
    ]);
    expect(rows).toEqual([{ saga: 'inventory-deduct', status: 'needs_attention' }]);

    // Delivered again (a duplicate send): dead-lettered again, not run.
    await sendAgain(findQueue('inventory-deduct'), deduct);
    await deadLetters('inventory-deduct');
    expect(await queueDrained('inventory-deduct')).toBe(true);
    expect(await startsOf(deduct)).toHaveLength(1);
    expect(await runsInTemporal(deduct)).toBe(1);
  });

  it('cancel: dead-letters the message as cancelled by who asked; the group goes on; a replay runs it again', async () => {
    const cancelled = envelope('account.sync', 'cancel-1', LONG_RUN);
    const next = envelope('account.sync', 'cancel-1');
    await bench.send('account-sync', cancelled);
    await bench.send('account-sync', next);
    await whenRunning(cancelled);
    await handle(cancelled).cancel();

    const [letter] = await deadLetters('account-sync');
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.disposition)).toBe('cancelled');
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.failureType)).toBe('cancelled');
    expect(said(letter!, DEAD_LETTER_ATTRIBUTES.reason)).toBe(`cancelled by ${bench.client.options.identity}`);
    await eventually(
      async () => (await startsOf(next)).length,
      (n) => n === 1,
    );
    expect(await startsOf(cancelled)).toHaveLength(1);
    expect(await runsInTemporal(cancelled)).toBe(1);

    // The operator replays it (a replay made after the cancelled run closed): it runs again.
    const replay = { ...cancelled, payload: {} };
    await sendAgain(findQueue('account-sync'), replay, new Date());
    await eventually(
      async () => (await startsOf(cancelled)).length,
      (n) => n === 2,
    );
    expect(await queueDrained('account-sync')).toBe(true);
    expect((await handle(cancelled).describe()).status.name).toBe('COMPLETED');
  });

  it('completed work whose run Temporal no longer has (only its completion record) is deleted, not run', async () => {
    const done = envelope('account.sync', 'forgotten-1');
    // As after the namespace's retention: the completion record is all that remembers the run.
    await bench.t.deps.pool.query(
      `INSERT INTO completed_work (workflow_id, idempotency_key, message_type, account_id, run_id, source_queue)
       VALUES ($1, $2, $3, $4, 'forgotten-run', 'account-sync')`,
      [workflowIdFor(done), done.idempotencyKey, done.type, done.accountId],
    );
    await bench.send('account-sync', done);
    expect(await queueDrained('account-sync')).toBe(true);
    await expect(handle(done).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await startsOf(done)).toHaveLength(0);
  });

  it('a message whose workflow already completed is deleted without a new run, and its completion recorded', async () => {
    const done = envelope('account.sync', 'completed-1');
    const queue = findQueue('account-sync');
    const source = { queue, physicalName: queueName(queue, bench.t.config.queues.prefix) };
    const options = workflowStartOptions(done, bench.t.config.temporal.taskQueue, source, 'direct');
    const run = await bench.client.workflow.start(WORKFLOW_TYPES[done.type], options);
    await run.result();

    await bench.send('account-sync', done);
    expect(await queueDrained('account-sync')).toBe(true);
    expect(await startsOf(done)).toHaveLength(1);
    const { rows } = await bench.t.deps.pool.query('SELECT run_id FROM completed_work WHERE workflow_id = $1', [
      workflowIdFor(done),
    ]);
    expect(rows).toEqual([{ run_id: run.firstExecutionRunId }]);
  });
});
