/**
 * Sends claimed messages (`dispatch_claims` rows) and records on each claim what SQS did with it:
 * sent (with its message id), or the reason it was not. An unsent claim is not lost: once its lease
 * runs out, a scheduling tick sends it again, unchanged (src/sweeps/claim-sweeper.ts). The sweeps
 * send what they claim this way, and so does a sync activity with its outbox rows.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import { markSent, recordSendFailures, type Claim } from '../db/dispatch-claims';
import {
  outgoingEnvelope,
  sendInBatches,
  type OutgoingMessage,
  type SendOptions,
  type SendOutcome,
} from './batch-sender';
import { findQueue } from './catalogue';
import type { QueueDirectory } from './queue-urls';

/** A claim as SQS takes it: its own queue, FIFO group and deduplication id, the body it was claimed with. */
export async function claimMessage(directory: QueueDirectory, claim: Claim): Promise<OutgoingMessage> {
  const queue = findQueue(claim.queue);
  return outgoingEnvelope(claim.envelope, claim.body, queue, await directory.url(queue));
}

export interface ClaimSender {
  sqs: SQSClient;
  directory: QueueDirectory;
  pool: Pool;
}

/** Sends the claims and marks each sent, or records why it was not; never throws for a refused message. */
export async function sendClaims(
  { sqs, directory, pool }: ClaimSender,
  claims: readonly Claim[],
  options: SendOptions = {},
): Promise<SendOutcome> {
  if (claims.length === 0) return { sent: [], failed: [] };
  const messages = await Promise.all(claims.map((claim) => claimMessage(directory, claim)));
  const outcome = await sendInBatches(sqs, messages, options);
  await markSent(pool, outcome.sent);
  await recordSendFailures(pool, outcome.failed);
  return outcome;
}
