/**
 * A delete whose answer is lost after SQS deleted the message: the SDK retries it, and ElasticMQ
 * refuses the second delete of a handle it no longer knows. The poller's delete must settle the
 * message anyway, or the poller retries a deleted message for ever (the chaos run's lost-delete
 * window found it). Through the chaos run's SQS fault proxy, on both SQS servers.
 */
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { findQueue } from '../../src/queues/catalogue';
import { QueueMessages } from '../../src/queues/queue-messages';
import { SqsFaultProxy } from '../../scripts/chaos/sqs-proxy';
import { queueIsEmpty, sqsServers } from '../support/sqs';

describe.each(sqsServers())('a lost delete answer on %s', (_server, serverEnv) => {
  const endpoint = () => serverEnv.SQS_ENDPOINT ?? process.env.SQS_ENDPOINT!;
  const region = process.env.AWS_REGION ?? 'us-east-1';
  let proxy: SqsFaultProxy;
  let direct: SQSClient;
  let proxied: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    proxy = new SqsFaultProxy(endpoint(), 0, 7);
    await proxy.start();
    direct = new SQSClient({ region, endpoint: endpoint() });
    // The SDK's own retries, as every role has them: the retry is what meets the refusal.
    proxied = new SQSClient({ region, endpoint: proxy.endpoint });
    ({ QueueUrl: queueUrl = '' } = await direct.send(
      new CreateQueueCommand({ QueueName: `lost-delete-${randomUUID()}` }),
    ));
  });
  afterAll(async () => {
    await direct?.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    direct?.destroy();
    proxied?.destroy();
    await proxy?.stop();
  });

  it('settles the message: the delete resolves and the queue is empty', async () => {
    await direct.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'done' }));
    const { Messages = [] } = await direct.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
    );
    expect(Messages).toHaveLength(1);
    const messages = new QueueMessages(proxied, {
      queue: findQueue('reconciliation'),
      url: queueUrl,
      deadLetterUrl: queueUrl,
    });
    proxy.loseAnswers('delete', 1, 1);
    await expect(messages.delete(Messages[0]!)).resolves.toBeUndefined();
    expect(proxy.endLoss()).toEqual({ family: 'delete', seen: { DeleteMessage: 2 }, lost: { DeleteMessage: 1 } });
    expect(await queueIsEmpty(direct, queueUrl)).toBe(true);
  });

  it('still fails a delete SQS did not apply', async () => {
    const messages = new QueueMessages(direct, {
      queue: findQueue('reconciliation'),
      url: `${queueUrl}-missing`,
      deadLetterUrl: queueUrl,
    });
    await expect(messages.delete({ ReceiptHandle: 'unknown' })).rejects.toThrow();
  });
});
