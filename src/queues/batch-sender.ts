/**
 * Sends messages with SendMessageBatch in tens, several batches in flight. Only the entries SQS
 * reports as failed are sent again, never the whole batch; entries SQS rejects as the sender's fault
 * (invalid) are not retried at all.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLimiter, type Limiter } from '../runtime/concurrency';
import type { QueueDefinition } from './inventory';
import { fifoAttributes, type Envelope } from './messages';

export interface OutgoingMessage {
  /** The caller's key for the message (its idempotency key); results are reported by it. */
  key: string;
  queueUrl: string;
  body: string;
  groupId?: string;
  deduplicationId?: string;
}

/** An envelope as SQS takes it: on a FIFO queue grouped by account and deduplicated by its key. */
export function outgoingEnvelope(
  envelope: Envelope,
  body: string,
  queue: QueueDefinition,
  queueUrl: string,
): OutgoingMessage {
  const fifo = queue.fifo ? fifoAttributes(envelope) : undefined;
  return {
    key: envelope.idempotencyKey,
    queueUrl,
    body,
    groupId: fifo?.MessageGroupId,
    deduplicationId: fifo?.MessageDeduplicationId,
  };
}

export interface SendOutcome {
  sent: { key: string; messageId: string }[];
  failed: { key: string; reason: string }[];
}

export interface SendOptions {
  /** SendMessageBatch calls in flight; ignored when a shared `limiter` is given. */
  parallelism?: number;
  /** Shared by several concurrent sends that together must stay within one bound. */
  limiter?: Limiter;
  attempts?: number;
  backoffMs?: number;
}

interface RetryOptions {
  attempts: number;
  backoffMs: number;
}

const SQS_BATCH_LIMIT = 10;

function chunksByQueue(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const byQueue = new Map<string, OutgoingMessage[]>();
  for (const message of messages) {
    const list = byQueue.get(message.queueUrl) ?? [];
    list.push(message);
    byQueue.set(message.queueUrl, list);
  }
  const chunks: OutgoingMessage[][] = [];
  for (const list of byQueue.values()) {
    for (let i = 0; i < list.length; i += SQS_BATCH_LIMIT) chunks.push(list.slice(i, i + SQS_BATCH_LIMIT));
  }
  return chunks;
}

function toEntry(message: OutgoingMessage, index: number): SendMessageBatchRequestEntry {
  return {
    Id: String(index),
    MessageBody: message.body,
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.deduplicationId,
  };
}

async function sendChunk(sqs: SQSClient, chunk: OutgoingMessage[], options: RetryOptions): Promise<SendOutcome> {
  const outcome: SendOutcome = { sent: [], failed: [] };
  let pending = chunk;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const retry: OutgoingMessage[] = [];
    const lastAttempt = attempt >= options.attempts;
    try {
      const result = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: pending[0]!.queueUrl, Entries: pending.map(toEntry) }),
      );
      for (const ok of result.Successful ?? [])
        outcome.sent.push({ key: pending[Number(ok.Id)]!.key, messageId: ok.MessageId! });
      for (const failure of result.Failed ?? []) {
        const message = pending[Number(failure.Id)]!;
        const reason = `${failure.Code ?? 'error'}: ${failure.Message ?? 'no message'}`;
        if (failure.SenderFault || lastAttempt) outcome.failed.push({ key: message.key, reason });
        else retry.push(message);
      }
    } catch (error) {
      // The whole call failed (network, throttling, 5xx): nothing in it is known to be accepted.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (lastAttempt) outcome.failed.push(...pending.map((message) => ({ key: message.key, reason })));
      else retry.push(...pending);
    }
    pending = retry;
    if (pending.length) await sleep(options.backoffMs * 2 ** (attempt - 1));
  }
  return outcome;
}

export async function sendInBatches(
  sqs: SQSClient,
  messages: readonly OutgoingMessage[],
  { parallelism = 8, limiter = createLimiter(parallelism), attempts = 4, backoffMs = 200 }: SendOptions = {},
): Promise<SendOutcome> {
  const outcomes = await Promise.all(
    chunksByQueue(messages).map((chunk) => limiter(() => sendChunk(sqs, chunk, { attempts, backoffMs }))),
  );
  return { sent: outcomes.flatMap((o) => o.sent), failed: outcomes.flatMap((o) => o.failed) };
}
