import { randomUUID } from 'node:crypto';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { loadConfig } from '../../src/config';
import { QUEUES, deadLetterQueueName, findQueue, queueName } from '../../src/queues/catalogue';
import { provisionQueues, type ProvisionedQueue } from '../../src/queues/provision';
import { createSqsClient } from '../../src/platform/sqs-client';

jest.setTimeout(60_000);

const config = loadConfig();
// A prefix of its own: this suite provisions and deletes a whole environment's worth of queues.
const prefix = `t${randomUUID().slice(0, 8)}-`;
let sqs: SQSClient;
let provisioned: ProvisionedQueue[];

const provisionedQueue = (name: string) => provisioned.find((p) => p.queue.name === name)!;

async function attributesOf(url: string): Promise<Record<string, string>> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Attributes ?? {};
}

async function receiveOne(url: string, visibilityTimeout: number) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 1,
      VisibilityTimeout: visibilityTimeout,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return Messages?.[0];
}

beforeAll(async () => {
  sqs = createSqsClient(config);
  provisioned = await provisionQueues(sqs, prefix);
});

afterAll(async () => {
  await Promise.all(
    provisioned.flatMap(({ url, dlqUrl }) =>
      [url, dlqUrl].map((QueueUrl) => sqs.send(new DeleteQueueCommand({ QueueUrl }))),
    ),
  );
  sqs.destroy();
});

describe('SQS queues after provision', () => {
  it('exist: every queue of the catalogue and its DLQ, 20 in all', async () => {
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    const names = QueueUrls.map((url) => url.split('/').pop()).sort();
    const expected = QUEUES.flatMap((q) => [queueName(q, prefix), deadLetterQueueName(q, prefix)]).sort();
    expect(names).toEqual(expected);
    expect(names).toHaveLength(20);
    expect(names).toEqual(
      expect.arrayContaining([
        `${prefix}account-sync.fifo`,
        `${prefix}inventory-deduct.fifo`,
        `${prefix}marketplace-push-ajio.fifo`,
        `${prefix}marketplace-push-flipkart-dlq.fifo`,
        `${prefix}returns-sync`,
        `${prefix}reconciliation-dlq`,
      ]),
    );
  });

  it.each(QUEUES.map((q) => [q.name, q] as const))(
    '%s has the inventory settings and a redrive policy',
    async (name, queue) => {
      const { url, dlqUrl } = provisionedQueue(name);
      const attributes = await attributesOf(url);
      const dlqAttributes = await attributesOf(dlqUrl);

      expect(attributes.VisibilityTimeout).toBe(String(queue.visibilityTimeoutSeconds));
      expect(attributes.MessageRetentionPeriod).toBe(String(queue.retentionSeconds));
      expect(JSON.parse(attributes.RedrivePolicy!)).toEqual({
        deadLetterTargetArn: dlqAttributes.QueueArn,
        maxReceiveCount: queue.maxReceiveCount,
      });
      expect(attributes.FifoQueue ?? 'false').toBe(String(queue.fifo));
      expect(dlqAttributes.FifoQueue ?? 'false').toBe(String(queue.fifo));
      if (queue.fifo) {
        expect(attributes.ContentBasedDeduplication).toBe('false');
        expect(attributes.DeduplicationScope).toBe('messageGroup');
      }
    },
  );

  it('provisions again without error or change', async () => {
    const before = await attributesOf(provisionedQueue('account-sync').url);
    const again = await provisionQueues(sqs, prefix);
    expect(again.map((p) => p.url)).toEqual(provisioned.map((p) => p.url));
    const after = await attributesOf(provisionedQueue('account-sync').url);
    expect(after.LastModifiedTimestamp).toBe(before.LastModifiedTimestamp);
    expect(after.RedrivePolicy).toBe(before.RedrivePolicy);
  });

  it('brings an existing queue provisioned with an older redrive policy to the catalogue safety net', async () => {
    const { url, dlqUrl, queue } = provisionedQueue('payout-sync');
    const deadLetterTargetArn = (await attributesOf(dlqUrl)).QueueArn;
    // As provisioned before the poller owned the budget: SQS moved a message after 5 receives.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: 5 }) },
      }),
    );
    await provisionQueues(sqs, prefix, [queue]);
    expect(JSON.parse((await attributesOf(url)).RedrivePolicy!)).toEqual({
      deadLetterTargetArn,
      maxReceiveCount: queue.maxReceiveCount,
    });
    expect(queue.maxReceiveCount).toBeGreaterThanOrEqual(10 * queue.failedRunBudget);
  });

  it('round-trips a FIFO message with its MessageGroupId', async () => {
    const { url } = provisionedQueue('account-sync');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: JSON.stringify({ hello: 'fifo' }),
        MessageGroupId: 'acct-42',
        MessageDeduplicationId: 'test:acct-42:1',
      }),
    );
    const message = await receiveOne(url, 30);
    expect(message?.Body).toBe('{"hello":"fifo"}');
    expect(message?.Attributes?.MessageGroupId).toBe('acct-42');
    expect(message?.Attributes?.MessageDeduplicationId).toBe('test:acct-42:1');
  });

  it.each(['inventory-deduct', 'payout-sync'])(
    '%s: a message received maxReceiveCount times without delete lands in the DLQ',
    async (name) => {
      const { url, dlqUrl, queue } = provisionedQueue(name);
      const fifo = queue.fifo ? { MessageGroupId: 'acct-7', MessageDeduplicationId: `poison:${name}` } : {};
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'never deleted', ...fifo }));

      let receives = 0;
      // Visibility 0 hands the message straight back, as a consumer that fails fast would.
      while (await receiveOne(url, 0)) receives += 1;

      expect(receives).toBe(findQueue(name).maxReceiveCount);
      const deadLetter = await receiveOne(dlqUrl, 30);
      expect(deadLetter?.Body).toBe('never deleted');
    },
  );
});
