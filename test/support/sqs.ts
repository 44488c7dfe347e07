import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { parseEnvelope, type Envelope } from '../../src/queues/messages';

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
  const received: ReceivedMessage[] = [];
  for (let emptyReceives = 0; emptyReceives < 2;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        VisibilityTimeout: 30,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    emptyReceives = Messages.length === 0 ? emptyReceives + 1 : 0;
    for (const message of Messages) {
      const parsed = parseEnvelope(message.Body ?? '');
      if (!parsed.ok) throw new Error(`invalid message in ${queueUrl}: ${parsed.reason}`);
      received.push({
        envelope: parsed.envelope,
        groupId: message.Attributes?.MessageGroupId,
        deduplicationId: message.Attributes?.MessageDeduplicationId,
      });
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return received;
}

/** Receives and deletes every message of a queue (a DLQ), whatever its body, with its attributes. */
export async function drainRawQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (let empty = 0; empty < 2;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
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
