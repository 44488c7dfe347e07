import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
