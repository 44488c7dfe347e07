import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Pool } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../platform/logger';
import type { Claim, Lease } from '../db/dispatch-claims';
import type { QueueDefinition } from '../queues/catalogue';
import type { Marketplace } from '../contracts/marketplaces';
import { queueForMessage } from '../queues/routing';
import { newEnvelope, serializeEnvelope, slotToken, type MessageType } from '../contracts/envelope';
import type { QueueDirectory } from '../queues/queue-urls';

/** Everything a sweep run needs; `now` and `slot` are fixed for the whole run. */
export interface SweepContext {
  config: Config;
  pool: Pool;
  sqs: SQSClient;
  queues: QueueDirectory;
  catalogue: readonly QueueDefinition[];
  log: Logger;
  sweep: string;
  /** The cron tick this run belongs to. */
  slot: Date;
  now: Date;
  /** Rows per claim transaction: bounds memory and lock time. */
  pageSize: number;
}

/** The lease this run gives the claims it makes or renews. */
export function claimLease(ctx: SweepContext): Lease {
  return { seconds: ctx.config.sweeps.claimLeaseSeconds, now: ctx.now };
}

export interface ClaimRequest {
  ctx: SweepContext;
  type: MessageType;
  accountId: string;
  /** The account's seller: carried by every message that has one, required on inventory work. */
  sellerId?: string;
  marketplace: Marketplace;
  slotAt: Date;
  /** The business identity of this message beyond type, account and slot (a schedule id). */
  identity?: string;
  scheduleId?: string;
  payload?: Record<string, string | number | boolean | null>;
}

/**
 * Builds the claim for one message. The idempotency key (and FIFO deduplication id) is derived from
 * the business identity, `type:account[:identity]:slot`, so every sweep process computes the same key
 * for the same due work.
 */
export function buildClaim({
  ctx,
  type,
  accountId,
  sellerId,
  marketplace,
  slotAt,
  identity,
  scheduleId,
  payload = {},
}: ClaimRequest): Claim {
  const idempotencyKey = [type, accountId, identity, slotToken(slotAt)].filter(Boolean).join(':');
  const envelope = newEnvelope({
    type,
    accountId,
    ...(sellerId === undefined ? {} : { sellerId }),
    marketplace,
    idempotencyKey,
    dueAt: slotAt.toISOString(),
    payload,
  });
  return {
    idempotencyKey,
    sweep: ctx.sweep,
    accountId,
    scheduleId: scheduleId ?? null,
    queue: queueForMessage(type, marketplace).name,
    slotAt,
    envelope,
    body: serializeEnvelope(envelope),
  };
}
