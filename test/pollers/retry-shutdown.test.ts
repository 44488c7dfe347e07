/**
 * A poller stopped while it holds a FIFO chain waiting out a retry delay releases it at once, and the
 * release costs nothing: the budget lives in Temporal's runs, so the next poller goes on counting from
 * there and the message still gets exactly its budget of runs. Production delay and budget.
 */
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { findQueue } from '../../src/queues/catalogue';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, sqsServers } from '../support/sqs';

jest.setTimeout(600_000);

const { failedRunBudget } = findQueue('account-sync');

describe.each(sqsServers())('stopping a poller mid-retry on %s', (_server, sqsOverrides) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account'], sqsOverrides);
  });
  afterAll(() => bench?.close());

  /** The first message a receiver gets within 5 s, handed straight back (visible again after 1 s). */
  const receivable = async () => {
    const { Messages = [] } = await bench.t.deps.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: bench.t.queueUrl('account-sync'),
        MaxNumberOfMessages: 1,
        WaitTimeSeconds: 5,
        VisibilityTimeout: 1,
      }),
    );
    return Messages[0] && (JSON.parse(Messages[0].Body!) as { idempotencyKey: string }).idempotencyKey;
  };

  it('releases the held chain at once; the next poller spends only what is left of the budget', async () => {
    const first = await bench.startPoller('account-sync');
    const poison = envelope('account.sync', 'stop-mid-retry', { failRetryably: true });
    const behind = [envelope('account.sync', 'stop-mid-retry'), envelope('account.sync', 'stop-mid-retry')];
    for (const message of [poison, ...behind]) await bench.send('account-sync', message);
    const runsOfPoison = async () =>
      (await bench.executions()).filter((r) => r.idempotency_key === poison.idempotencyKey && r.phase === 'end').length;
    await eventually(runsOfPoison, (n) => n === 1);

    const stopping = Date.now();
    await first.stop(25_000);
    expect(Date.now() - stopping).toBeLessThan(5_000);
    // Released, not left hidden for a visibility timeout: the group's head can be received at once.
    expect(await receivable()).toBe(poison.idempotencyKey);

    await bench.startPoller('account-sync');
    const dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
    const dead = await eventually(
      () => drainRawQueue(bench.t.deps.sqs, dlqUrl),
      (messages) => messages.length > 0,
      300_000,
    );
    expect(dead.map((m) => JSON.parse(m.Body!).idempotencyKey)).toEqual([poison.idempotencyKey]);
    expect(await runsOfPoison()).toBe(failedRunBudget);
    const done = await eventually(
      () => bench.executions(),
      (rows) => behind.every((m) => rows.some((r) => r.idempotency_key === m.idempotencyKey && r.phase === 'end')),
    );
    const order = done.filter((r) => r.account_id === 'stop-mid-retry' && r.phase === 'start');
    expect(order.map((r) => r.idempotency_key)).toEqual([
      ...Array(failedRunBudget).fill(poison.idempotencyKey),
      ...behind.map((m) => m.idempotencyKey),
    ]);
  });
});
