/**
 * Sends messages with SendMessageBatch in tens, several batches in flight. Only the entries SQS
 * reports as failed are sent again, never the whole batch; entries SQS rejects as the sender's fault
 * (invalid) are not retried at all.
 */
import { SendMessageBatchCommand, type SendMessageBatchRequestEntry, type SQSClient } from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLimiter, type Limiter } from '../platform/concurrency';
import type { QueueDefinition } from './catalogue';
import { fifoAttributes, queueForMessage } from './routing';
import { serializeEnvelope, type Envelope } from '../contracts/envelope';
import type { QueueDirectory } from './queue-urls';
import { SQS_MAX_MESSAGE_BYTES } from './sqs-conventions';

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

/** Sends one envelope to its own queue (FIFO: its type's group, its key as dedup id); throws if SQS refused it. */
export async function sendEnvelope(sqs: SQSClient, directory: QueueDirectory, envelope: Envelope): Promise<void> {
  const queue = queueForMessage(envelope.type, envelope.marketplace);
  const message = outgoingEnvelope(envelope, serializeEnvelope(envelope), queue, await directory.url(queue));
  const { failed } = await sendInBatches(sqs, [message]);
  if (failed.length > 0) throw new Error(`could not send ${envelope.idempotencyKey}: ${failed[0]!.reason}`);
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

const sizeOf = (message: OutgoingMessage) => Buffer.byteLength(message.body, 'utf8');

/**
 * Batches of one queue's messages, at most ten and SQS_MAX_MESSAGE_BYTES together: SQS refuses a
 * larger request whole, which would fail every message in it, not only the one that made it large.
 */
function chunksByQueue(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const open = new Map<string, { chunk: OutgoingMessage[]; bytes: number }>();
  const chunks: OutgoingMessage[][] = [];
  for (const message of messages) {
    let current = open.get(message.queueUrl);
    const bytes = sizeOf(message);
    if (!current || current.chunk.length === SQS_BATCH_LIMIT || current.bytes + bytes > SQS_MAX_MESSAGE_BYTES) {
      current = { chunk: [], bytes: 0 };
      chunks.push(current.chunk);
      open.set(message.queueUrl, current);
    }
    current.chunk.push(message);
    current.bytes += bytes;
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
  // Too large for SQS on its own: refused here, so it cannot take a batch of others down with it.
  const oversized = messages.filter((message) => sizeOf(message) > SQS_MAX_MESSAGE_BYTES);
  const sendable = messages.filter((message) => sizeOf(message) <= SQS_MAX_MESSAGE_BYTES);
  const outcomes = await Promise.all(
    chunksByQueue(sendable).map((chunk) => limiter(() => sendChunk(sqs, chunk, { attempts, backoffMs }))),
  );
  const refused = oversized.map((message) => ({
    key: message.key,
    reason: `oversized: ${sizeOf(message)} bytes; SQS takes at most ${SQS_MAX_MESSAGE_BYTES}`,
  }));
  return { sent: outcomes.flatMap((o) => o.sent), failed: [...refused, ...outcomes.flatMap((o) => o.failed)] };
}
