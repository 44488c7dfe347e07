/**
 * The logical names of the service's SQS queues: the vocabulary that configuration (POLLER_QUEUES),
 * message routes and operators use. Each queue's settings are in the catalogue (src/queues/catalogue.ts),
 * which defines exactly these names.
 */
import { MARKETPLACES } from './marketplaces';

export const QUEUE_NAMES = [
  'account-sync',
  'inventory-deduct',
  ...MARKETPLACES.map((marketplace) => `marketplace-push-${marketplace}` as const),
  'returns-sync',
  'document-download',
  'payout-sync',
  'reconciliation',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const isQueueName = (name: string): name is QueueName => (QUEUE_NAMES as readonly string[]).includes(name);

/** The queue families: each has a Temporal task queue of its own (`<TEMPORAL_TASK_QUEUE>.<family>`). */
export const QUEUE_FAMILIES = ['account', 'inventory', 'marketplace-push', 'background'] as const;
export type QueueFamily = (typeof QUEUE_FAMILIES)[number];

export const isQueueFamily = (name: string): name is QueueFamily =>
  (QUEUE_FAMILIES as readonly string[]).includes(name);
