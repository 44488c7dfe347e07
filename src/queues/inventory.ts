/**
 * The queue inventory: every SQS queue the service uses, with the settings that provisioning,
 * sweeps, pollers and metrics all read from here (and nowhere else).
 *
 * FIFO queues carry per-account work (`MessageGroupId` = seller account), so one account's
 * operations run in order and never at once; Standard queues carry work that may run in parallel.
 */

export const MARKETPLACES = ['ajio', 'meesho', 'amazon', 'flipkart'] as const;
export type Marketplace = (typeof MARKETPLACES)[number];

export interface QueueDefinition {
  /** Logical name; the physical name adds the environment prefix and `.fifo`. */
  readonly name: string;
  readonly fifo: boolean;
  /** Receives before SQS moves a message to the queue's DLQ. */
  readonly maxReceiveCount: number;
  /** Must exceed the time a poller takes to start a workflow and first extend visibility. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Above this many visible messages, sweeps leave this queue's rows for a later run. */
  readonly backlogCeiling: number;
}

const FOUR_DAYS = 4 * 24 * 3600;
/** DLQs keep messages for SQS's maximum, so triage after a long weekend still finds them. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

const DEFAULTS = {
  maxReceiveCount: 5,
  visibilityTimeoutSeconds: 60,
  retentionSeconds: FOUR_DAYS,
  backlogCeiling: 200_000,
};

function fifoQueue(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return { ...DEFAULTS, name, fifo: true, ...overrides };
}

function standardQueue(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return { ...DEFAULTS, name, fifo: false, ...overrides };
}

export const QUEUES: readonly QueueDefinition[] = [
  fifoQueue('account-sync'),
  fifoQueue('inventory-deduct'),
  ...MARKETPLACES.map((marketplace) => fifoQueue(`marketplace-push-${marketplace}`)),
  standardQueue('returns-sync'),
  standardQueue('document-download', { visibilityTimeoutSeconds: 300 }),
  standardQueue('payout-sync'),
  standardQueue('reconciliation', { visibilityTimeoutSeconds: 300 }),
];

export function queueName(queue: QueueDefinition, prefix: string): string {
  return `${prefix}${queue.name}${queue.fifo ? '.fifo' : ''}`;
}

export function deadLetterQueueName(queue: QueueDefinition, prefix: string): string {
  return `${prefix}${queue.name}-dlq${queue.fifo ? '.fifo' : ''}`;
}

export function findQueue(name: string): QueueDefinition {
  const queue = QUEUES.find((candidate) => candidate.name === name);
  if (!queue) throw new Error(`unknown queue "${name}"; known: ${QUEUES.map((q) => q.name).join(', ')}`);
  return queue;
}
