/**
 * Hostile bodies sent straight to the real SQS queues and consumed by the real pollers (in this
 * process, with stand-in workflows): each ends in its queue's DLQ with a `dlq-reason` naming the
 * problem and never starts a workflow, while the valid messages sent between them (on a FIFO queue:
 * of the same account, so in the same group) all complete, in order. On both SQS servers: fauxqs
 * takes messages up to 1 MiB, ElasticMQ (like older AWS queues) up to 256 KiB.
 */
import { GetQueueAttributesCommand, type Message } from '@aws-sdk/client-sqs';
import { findQueue } from '../../src/queues/inventory';
import type { Envelope } from '../../src/queues/messages';
import { DLQ_ATTRIBUTES } from '../../src/queues/sqs-conventions';
import { hostileBodies, SQL_LOOKING, tableRowCounts, type HostileBody } from '../support/hostile';
import { envelope, eventually, pipelineBench, type PipelineBench } from '../support/pipeline';
import { drainRawQueue, queueIsEmpty } from '../support/sqs';

jest.setTimeout(90_000);

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through npm test (stack:up writes it)`);
  return value;
}

describe.each([
  ['fauxqs', {}],
  ['ElasticMQ', { SQS_ENDPOINT: requiredEnv('ELASTICMQ_ENDPOINT') }],
])('hostile message bodies on %s', (server, sqsOverrides: NodeJS.ProcessEnv) => {
  let bench: PipelineBench;

  beforeAll(async () => {
    bench = await pipelineBench(['account', 'background'], sqsOverrides);
    await bench.startPoller('account-sync');
    await bench.startPoller('payout-sync');
  });
  afterAll(() => bench?.close());

  const urls = (queue: string) => bench.t.queues.find((q) => q.queue.name === queue)!;

  /** Waits for `count` dead letters of `queue`, taking them out of its DLQ. */
  async function deadLetters(queue: string, count: number): Promise<Message[]> {
    const all: Message[] = [];
    await eventually(
      async () => all.push(...(await drainRawQueue(bench.t.deps.sqs, urls(queue).dlqUrl))),
      () => all.length >= count,
      45_000,
    );
    return all;
  }

  async function completedKeys(account: string): Promise<string[]> {
    const rows = await bench.executions();
    return rows.filter((r) => r.account_id === account && r.phase === 'end').map((r) => r.idempotency_key);
  }

  /** Sends a valid message of `account`, then each hostile body in its group, then another valid one. */
  async function interleave(queue: string, account: string, hostile: HostileBody[], make: () => Envelope) {
    const valid: Envelope[] = [];
    const sent = new Map<string, HostileBody>();
    for (const body of hostile) {
      valid.push(make());
      await bench.send(queue, valid.at(-1)!);
      sent.set(await bench.sendRaw(queue, body.body, account), body);
    }
    valid.push(make());
    await bench.send(queue, valid.at(-1)!);
    return { valid, sent };
  }

  /** Every hostile body is in the DLQ with its reason and source; only the valid messages ran, in order. */
  async function expectOnlyHostileDeadLettered(
    queue: string,
    account: string,
    hostile: HostileBody[],
    make: () => Envelope,
  ) {
    const { valid, sent } = await interleave(queue, account, hostile, make);
    const dead = await deadLetters(queue, hostile.length);
    const reasons = dead.map((message) => {
      const attributes = message.MessageAttributes ?? {};
      const source = sent.get(attributes[DLQ_ATTRIBUTES.sourceMessageId]?.StringValue ?? '');
      expect(attributes[DLQ_ATTRIBUTES.sourceQueue]?.StringValue).toBe(urls(queue).url.split('/').pop());
      return { name: source?.name, reason: attributes[DLQ_ATTRIBUTES.reason]?.StringValue };
    });
    expect(reasons.sort((a, b) => a.name!.localeCompare(b.name!))).toEqual(
      hostile
        .map(({ name, reason }) => ({ name, reason: expect.stringContaining(reason) }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
    const done = await eventually(
      () => completedKeys(account),
      (keys) => keys.length >= valid.length,
    );
    const expected = valid.map((m) => m.idempotencyKey);
    // FIFO: in the order sent; Standard: each once.
    expect(findQueue(queue).fifo ? done : [...done].sort()).toEqual(findQueue(queue).fifo ? expected : expected.sort());
    expect(await eventually(() => queueIsEmpty(bench.t.deps.sqs, urls(queue).url), Boolean)).toBe(true);
  }

  it('FIFO: each hostile body goes to the DLQ with its reason; the account’s valid messages around them run in order', async () => {
    const account = `hostile-fifo-${server}`;
    const good = envelope('account.sync', account);
    const hostile = hostileBodies(good, envelope('payout.sync', account), { fifo: true });
    await expectOnlyHostileDeadLettered('account-sync', account, hostile, () => envelope('account.sync', account));
  });

  it('Standard: each hostile body goes to the DLQ with its reason; the valid messages around them run', async () => {
    const account = `hostile-std-${server}`;
    const good = envelope('payout.sync', account);
    const hostile = hostileBodies(good, envelope('account.sync', account), { fifo: false });
    await expectOnlyHostileDeadLettered('payout-sync', account, hostile, () => envelope('payout.sync', account));
  });

  it('a body as large as the queue takes is dead-lettered with its head and a note, not offered again', async () => {
    const account = `hostile-huge-${server}`;
    const { Attributes } = await bench.t.deps.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: urls('account-sync').url, AttributeNames: ['MaximumMessageSize'] }),
    );
    // fauxqs says 1 MiB; ElasticMQ does not say, and takes 256 KiB.
    const limit = Number(Attributes?.MaximumMessageSize ?? 256 * 1024);
    const huge = `{"v":1,"junk":"${'x'.repeat(limit - 100)}"}`;
    const hostile = [
      {
        name: 'at the size limit',
        body: huge,
        reason: 'oversized: body exceeds 8192 bytes (body cut to its first 65536 of',
      },
    ];
    await expectOnlyHostileDeadLettered('account-sync', account, hostile, () => envelope('account.sync', account));
  });

  it('SQL-looking text in a valid payload is only data: the workflow runs and every table is intact', async () => {
    const before = await tableRowCounts(bench.t.deps.pool);
    const account = `hostile-sql-${server}`;
    const message = envelope('account.sync', account, { note: SQL_LOOKING, [`x${'_'.repeat(10)}`]: SQL_LOOKING });
    await bench.send('account-sync', message);
    expect(
      await eventually(
        () => completedKeys(account),
        (keys) => keys.length === 1,
      ),
    ).toEqual([message.idempotencyKey]);
    expect(await tableRowCounts(bench.t.deps.pool)).toEqual(before);
  });
});
