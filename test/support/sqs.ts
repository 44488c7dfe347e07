import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope, type Envelope } from '../../src/contracts/envelope';

export interface ReceivedMessage {
  envelope: Envelope;
  groupId?: string;
  deduplicationId?: string;
}

/**
 * Receives and deletes everything in a queue. Deleting as it goes matters for FIFO queues, which
 * hold back a group's next message while one is in flight.
 */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<ReceivedMessage[]> {
  return (await drainRawQueue(sqs, queueUrl, { waitSeconds: 0 })).map((message) => {
    const parsed = parseEnvelope(message.Body ?? '');
    if (!parsed.ok) throw new Error(`invalid message in ${queueUrl}: ${parsed.reason}`);
    return {
      envelope: parsed.envelope,
      groupId: message.Attributes?.MessageGroupId,
      deduplicationId: message.Attributes?.MessageDeduplicationId,
    };
  });
}

/** Receives and deletes every message of a queue (a DLQ), whatever its body, with its attributes. */
export async function drainRawQueue(sqs: SQSClient, queueUrl: string, { waitSeconds = 1 } = {}): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    empty = Messages.length ? 0 : empty + 1;
    for (const message of Messages) {
      all.push(message);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return all;
}

/**
 * Both SQS servers of the stack, for `describe.each`: fauxqs (the default endpoint) hands out one
 * message per FIFO group per receive; ElasticMQ, like AWS, several, in order.
 */
export function sqsServers(): [string, NodeJS.ProcessEnv][] {
  const elasticMq = process.env.ELASTICMQ_ENDPOINT;
  if (!elasticMq) throw new Error('ELASTICMQ_ENDPOINT is not set: run the suite through npm test (stack:up writes it)');
  return [
    ['fauxqs', {}],
    ['ElasticMQ', { SQS_ENDPOINT: elasticMq }],
  ];
}

/** Nothing waiting and nothing in flight: every message was deleted (or moved to the DLQ). */
export async function queueIsEmpty(sqs: SQSClient, queueUrl: string): Promise<boolean> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Attributes.ApproximateNumberOfMessages === '0' && Attributes.ApproximateNumberOfMessagesNotVisible === '0';
}
