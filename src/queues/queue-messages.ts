/**
 * The one SQS message adapter: receive, extend, release, delete and dead-letter messages of one
 * queue. The poller and `npm run dlq` both go through it, so what a dead letter carries and how a
 * message is given back is decided in one place.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import type { QueueDefinition } from './catalogue';
import { deadLetterRecord, saveDeadLetter, toMessageAttributes, type DeadLetterVerdict } from './dead-letter-record';
import { RELEASE_VISIBILITY_SECONDS } from './sqs-conventions';

export interface QueueEndpoints {
  queue: QueueDefinition;
  url: string;
  deadLetterUrl: string;
}

export interface ReceiveOptions {
  max: number;
  waitSeconds: number;
  visibilitySeconds: number;
}

export class QueueMessages {
  constructor(
    private readonly sqs: SQSClient,
    readonly endpoints: QueueEndpoints,
    /** Where dead letters are recorded for `npm run dlq`; without it, only their SQS copy exists. */
    private readonly records?: Pool,
  ) {}

  /** Up to `max` messages (at most 10), with every system and message attribute. */
  async receive({ max, waitSeconds, visibilitySeconds }: ReceiveOptions, url = this.endpoints.url): Promise<Message[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: visibilitySeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return Messages;
  }

  /** Keeps a held message hidden for `seconds` more. */
  async extend(message: Message, seconds: number, url = this.endpoints.url): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: message.ReceiptHandle,
        VisibilityTimeout: seconds,
      }),
    );
  }

  /** Gives a message back unstarted: visible again within RELEASE_VISIBILITY_SECONDS. Never throws. */
  async release(message: Message, url = this.endpoints.url): Promise<void> {
    await this.extend(message, RELEASE_VISIBILITY_SECONDS, url).catch(() => undefined);
  }

  /**
   * Deletes a received message. A receipt handle SQS no longer knows means the message is no longer
   * this receiver's to delete: an earlier attempt deleted it (its answer was lost and the SDK's retry
   * was refused, as ElasticMQ refuses a second delete), or its visibility ran out and another receiver
   * holds it and settles it. Either way there is nothing left to delete here; throwing would make the
   * poller retry a deleted message for ever, holding its slot and extending a handle that is gone.
   */
  async delete(message: Message, url = this.endpoints.url): Promise<void> {
    try {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
    } catch (error) {
      if (!(error instanceof ReceiptHandleIsInvalid)) throw error;
    }
  }

  /** Deletes every message of a queue (a DLQ): SQS may take up to 60 s to finish. */
  async purge(url: string): Promise<void> {
    await this.sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  }

  /** Sends a message to a queue (the source queue, for a replay), keeping its FIFO group. */
  async send(
    url: string,
    body: string,
    fifo: { groupId: string; deduplicationId: string } | undefined,
    attributes: Record<string, MessageAttributeValue> = {},
  ): Promise<string | undefined> {
    const { MessageId } = await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageAttributes: attributes,
        ...(fifo && { MessageGroupId: fifo.groupId, MessageDeduplicationId: fifo.deduplicationId }),
      }),
    );
    return MessageId;
  }

  /**
   * Moves a message to the queue's DLQ with the verdict: recorded in PostgreSQL first (a crash before
   * the send leaves the message in its source queue with a record, which its next dead-lettering
   * overwrites), then sent with the record's attributes, then deleted from the source queue.
   * On a FIFO DLQ it keeps its group, deduplicated by its source message id.
   */
  async deadLetter(message: Message, verdict: DeadLetterVerdict): Promise<void> {
    const { queue, deadLetterUrl } = this.endpoints;
    const record = deadLetterRecord(queue.name, message, verdict);
    if (this.records) await saveDeadLetter(this.records, record);
    await this.send(
      deadLetterUrl,
      record.body,
      queue.fifo ? { groupId: record.groupId ?? 'invalid', deduplicationId: record.sourceMessageId } : undefined,
      toMessageAttributes(record),
    );
    await this.delete(message);
  }
}
