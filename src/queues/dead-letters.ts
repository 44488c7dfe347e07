/**
 * Dead-letter queue operations for SREs (`npm run dlq`): counts, a look at what is there and why,
 * replay to the source queue, and purge.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { QUEUES, type QueueDefinition } from './catalogue';
import { parseEnvelope } from '../contracts/envelope';
import type { QueueDirectory } from './queue-urls';
import { DEAD_LETTER_ATTRIBUTES } from './dead-letter-record';
import { RELEASE_VISIBILITY_SECONDS } from './sqs-conventions';

export interface DeadLetter {
  messageId: string;
  sentAt: string;
  receiveCount: number;
  groupId?: string;
  reason: string;
  summary: string;
  message: Message;
}

/** While listed, messages stay hidden from other readers; then they are handed back. */
const PEEK_VISIBILITY_SECONDS = 30;

export async function deadLetterCounts(directory: QueueDirectory) {
  return Promise.all(
    QUEUES.map(async (queue) => {
      const { visible, inFlight } = await directory.depth(await directory.deadLetterUrl(queue));
      return { queue: queue.name, visible, inFlight };
    }),
  );
}

function toDeadLetter(message: Message): DeadLetter {
  const parsed = parseEnvelope(message.Body ?? '');
  const reason =
    message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.reason]?.StringValue ??
    'workflow failed on every delivery (moved by SQS after maxReceiveCount)';
  return {
    messageId: message.MessageId ?? '?',
    sentAt: new Date(Number(message.Attributes?.SentTimestamp ?? 0)).toISOString(),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    groupId: message.Attributes?.MessageGroupId,
    reason,
    summary: parsed.ok
      ? `${parsed.envelope.type} ${parsed.envelope.accountId} ${parsed.envelope.idempotencyKey}`
      : `(invalid: ${parsed.reason})`,
    message,
  };
}

/** Receives up to `max` dead letters, hidden while the caller works on them. */
async function receiveDeadLetters(sqs: SQSClient, url: string, max: number): Promise<DeadLetter[]> {
  const seen = new Map<string, DeadLetter>();
  while (seen.size < max) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, max - seen.size),
        WaitTimeSeconds: 1,
        VisibilityTimeout: PEEK_VISIBILITY_SECONDS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) seen.set(message.MessageId!, toDeadLetter(message));
  }
  return [...seen.values()];
}

async function handBack(sqs: SQSClient, url: string, letters: DeadLetter[]): Promise<void> {
  await Promise.all(
    letters.map((letter) =>
      sqs
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: letter.message.ReceiptHandle,
            VisibilityTimeout: RELEASE_VISIBILITY_SECONDS,
          }),
        )
        .catch(() => undefined),
    ),
  );
}

export async function peekDeadLetters(sqs: SQSClient, directory: QueueDirectory, queue: QueueDefinition, max: number) {
  const url = await directory.deadLetterUrl(queue);
  const letters = await receiveDeadLetters(sqs, url, max);
  await handBack(sqs, url, letters);
  return letters;
}

export interface ReplayResult {
  replayed: string[];
  skipped: { messageId: string; reason: string }[];
}

/**
 * Sends dead letters back to their source queue, with their group id and a deduplication id of
 * their own (derived from the dead letter's id, so a replay retried after a crash is deduplicated),
 * and deletes each from the DLQ only after the send succeeded. Invalid messages stay where they are.
 * A message whose workflow already completed attaches to that workflow again and is not redone.
 */
export async function replayDeadLetters(
  sqs: SQSClient,
  directory: QueueDirectory,
  queue: QueueDefinition,
  max: number,
): Promise<ReplayResult> {
  const dlqUrl = await directory.deadLetterUrl(queue);
  const sourceUrl = await directory.url(queue);
  const letters = await receiveDeadLetters(sqs, dlqUrl, max);
  const result: ReplayResult = { replayed: [], skipped: [] };
  const invalid: DeadLetter[] = [];
  for (const letter of letters) {
    if (letter.summary.startsWith('(invalid')) {
      invalid.push(letter);
      result.skipped.push({ messageId: letter.messageId, reason: letter.summary });
      continue;
    }
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: sourceUrl,
        MessageBody: letter.message.Body,
        ...(queue.fifo
          ? { MessageGroupId: letter.groupId ?? 'replayed', MessageDeduplicationId: `replay-${letter.messageId}` }
          : {}),
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: dlqUrl, ReceiptHandle: letter.message.ReceiptHandle }));
    result.replayed.push(letter.messageId);
  }
  await handBack(sqs, dlqUrl, invalid);
  return result;
}

export async function purgeDeadLetters(
  sqs: SQSClient,
  directory: QueueDirectory,
  queue: QueueDefinition,
): Promise<void> {
  await sqs.send(new PurgeQueueCommand({ QueueUrl: await directory.deadLetterUrl(queue) }));
}
