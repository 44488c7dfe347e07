import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { serializeEnvelope } from '../../src/contracts/envelope';
import { DEAD_LETTER_ATTRIBUTES } from '../../src/queues/dead-letter-record';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { runEntryPoint } from '../support/run-command';

jest.setTimeout(120_000);

let bench: PipelineBench;
let dlqUrl: string;
const dlq = (...args: string[]) => runEntryPoint('src/commands/dlq.ts', { args, env: bench.t.env });

beforeAll(async () => {
  bench = await pipelineBench(['account']);
  await bench.startPoller('account-sync');
  dlqUrl = bench.t.queues.find((q) => q.queue.name === 'account-sync')!.dlqUrl;
});
afterAll(() => bench?.close());

async function dlqDepth(): Promise<number> {
  const { Attributes = {} } = await bench.t.deps.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

async function visibleInDlq(): Promise<number> {
  const { Attributes = {} } = await bench.t.deps.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
}

async function completedRuns(key: string): Promise<number> {
  return (await bench.executions()).filter((r) => r.idempotency_key === key && r.phase === 'end').length;
}

async function deadLetter(body: string, groupId: string, reason?: string) {
  await bench.t.deps.sqs.send(
    new SendMessageCommand({
      QueueUrl: dlqUrl,
      MessageBody: body,
      MessageGroupId: groupId,
      MessageDeduplicationId: `${groupId}-dead`,
      MessageAttributes: reason ? { [DEAD_LETTER_ATTRIBUTES.reason]: { DataType: 'String', StringValue: reason } } : undefined,
    }),
  );
}

describe('npm run dlq', () => {
  const done = envelope('account.sync', 'dlq-done');
  const pending = envelope('account.sync', 'dlq-pending');

  beforeAll(async () => {
    await bench.send('account-sync', done);
    await eventually(
      () => completedRuns(done.idempotencyKey),
      (n) => n === 1,
    );
    await deadLetter(serializeEnvelope(done), 'dlq-done');
    await deadLetter('{"v":1,', 'poison', 'invalid JSON');
    await deadLetter(serializeEnvelope(pending), 'dlq-pending');
  });

  it('list shows the depth of every DLQ', async () => {
    const result = await dlq('list');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/'account-sync'\s+│ 3 /);
    expect(result.stdout).toMatch(/'payout-sync'\s+│ 0 /);
  });

  it('peek shows each message with its reason and leaves them in place', async () => {
    const result = await dlq('peek', 'account-sync');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`3 message(s) in ${bench.t.config.queues.prefix}account-sync-dlq.fifo`);
    expect(result.stdout).toContain('reason: invalid JSON');
    expect(result.stdout).toContain(`account.sync dlq-pending ${pending.idempotencyKey}`);
    expect(result.stdout).toContain('reason: workflow failed on every delivery');
    expect(await dlqDepth()).toBe(3);
  });

  it('replay sends valid messages back, leaves invalid ones, and does not redo completed work', async () => {
    // Peek handed the messages back; wait until SQS shows them again.
    await eventually(visibleInDlq, (n) => n === 3);
    const result = await dlq('replay', 'account-sync');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('replayed 2 message(s)');
    expect(result.stdout).toMatch(/left in the DLQ: \S+ \(invalid: invalid JSON\)/);

    expect(
      await eventually(
        () => completedRuns(pending.idempotencyKey),
        (n) => n === 1,
      ),
    ).toBe(1);
    await eventually(dlqDepth, (n) => n === 1);
    expect(await completedRuns(done.idempotencyKey)).toBe(1);
  });

  it('purge refuses without confirmation, and empties the DLQ with --yes', async () => {
    const refused = await dlq('purge', 'account-sync');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('not purged: confirm at the prompt or pass --yes');
    expect(await dlqDepth()).toBe(1);

    const purged = await dlq('purge', 'account-sync', '--yes');
    expect(purged.code).toBe(0);
    expect(await eventually(dlqDepth, (n) => n === 0)).toBe(0);
  });

  it('names the queues it knows when given another', async () => {
    const result = await dlq('peek', 'nowhere');
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^unknown queue "nowhere"; known: account-sync, /);
  });
});
