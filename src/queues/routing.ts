/**
 * Where each message type travels: its queue (per marketplace for pushes), whether a received message
 * is where it belongs, and the FIFO attributes that keep one account's messages in order.
 */
import {
  MESSAGE_TYPES,
  isSellerWork,
  messageGroup,
  type Envelope,
  type MessageType,
  type MessageTypeRoute,
} from '../contracts/envelope';
import type { Marketplace } from '../contracts/marketplaces';
import { findQueue, type QueueDefinition } from './catalogue';

export function queueForMessage(type: MessageType, marketplace: Marketplace): QueueDefinition {
  return findQueue((MESSAGE_TYPES[type] as MessageTypeRoute).queue(marketplace));
}

/**
 * Why a valid envelope does not belong where it was received; undefined when it does. Each type has
 * one queue (per marketplace for pushes), and on a FIFO queue the group must be the type's group for
 * the account (messageGroup), or that account's messages would no longer run one at a time.
 */
export function misrouting(envelope: Envelope, queue: QueueDefinition, groupId?: string): string | undefined {
  const home = queueForMessage(envelope.type, envelope.marketplace);
  if (home.name !== queue.name) {
    return `misrouted: ${envelope.type} for ${envelope.marketplace} belongs on ${home.name}, not ${queue.name}`;
  }
  const group = messageGroup(envelope);
  if (queue.fifo && groupId !== group) {
    const owner = isSellerWork(envelope.type) ? `seller ${envelope.sellerId}` : `account ${envelope.accountId}`;
    return `misrouted: FIFO group ${JSON.stringify(groupId ?? null)} is not ${JSON.stringify(group)}, the group of ${envelope.type} for the ${owner}`;
  }
  return undefined;
}

/**
 * FIFO messages: the group is the type's group (the account for per-account order; token work in a
 * group of its own; the seller for work on a seller's stock) and the deduplication id is the idempotency key, which is derived from
 * the business identity and never random.
 */
export function fifoAttributes(envelope: Envelope): { MessageGroupId: string; MessageDeduplicationId: string } {
  return {
    MessageGroupId: messageGroup(envelope),
    MessageDeduplicationId: envelope.idempotencyKey,
  };
}
