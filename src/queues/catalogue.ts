/**
 * The queue catalogue: every SQS queue the service uses, with the settings that provisioning,
 * sweeps, pollers and metrics all read from here (and nowhere else).
 *
 * FIFO queues carry per-account work (`MessageGroupId` = seller account), so one account's
 * operations run in order and never at once; Standard queues carry work that may run in parallel.
 */
import { MARKETPLACES } from '../contracts/marketplaces';
import type { QueueFamily, QueueName } from '../contracts/queues';

export interface QueueDefinition {
  /** Logical name; the physical name adds the environment prefix and `.fifo`. */
  readonly name: QueueName;
  readonly fifo: boolean;
  /**
   * Receives before SQS itself moves a message to the queue's DLQ: a safety net far above anything the
   * poller spends (it decides dead letters by failedRunBudget), there for a poller that crashes on a
   * message every time it receives it.
   */
  readonly maxReceiveCount: number;
  /**
   * Failed workflow runs (Failed or TimedOut in Temporal) a message may have, counted since its last
   * replay, before the poller moves it to the DLQ.
   */
  readonly failedRunBudget: number;
  /** Must exceed the time a poller takes to start a workflow and first extend visibility. */
  readonly visibilityTimeoutSeconds: number;
  readonly retentionSeconds: number;
  /** Above this many visible messages, sweeps leave this queue's rows for a later run. */
  readonly backlogCeiling: number;
  /** Workflows started from this queue run on the task queue of this family. */
  readonly family: QueueFamily;
  readonly poller: PollerSettings;
  /** CloudWatch alarms on this queue (src/observability/alarms.ts). */
  readonly alarms: QueueAlarmThresholds;
}

export interface QueueAlarmThresholds {
  /** Alarm when the oldest message has waited longer than this: the queue's latency promise. */
  readonly oldestMessageAgeSeconds: number;
  /** Alarm when messages sit visible and nothing receives them for this long: pollers are down or stuck. */
  readonly consumerStallMinutes: number;
}

export type { QueueFamily } from '../contracts/queues';

export interface PollerSettings {
  /** Messages one poller process holds (and workflows it waits on) at once. */
  readonly concurrency: number;
  /** Messages per ReceiveMessage, at most 10. */
  readonly batchSize: number;
  /** Long-poll wait, at most 20 s. */
  readonly waitSeconds: number;
  /**
   * Time between a failed run and the next run of the same message: on FIFO queues the poller waits it
   * out holding the group's chain; on Standard queues the message is given back with it as visibility.
   */
  readonly retryDelaySeconds: number;
  /** Visibility a received message gets; renewed every third of it while its workflow runs. */
  readonly visibilityTimeoutSeconds?: number;
}

const FOUR_DAYS = 4 * 24 * 3600;
/** DLQs keep messages for SQS's maximum, so triage after a long weekend still finds them. */
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/**
 * Temporal keeps a closed run this long: a day past the DLQ's retention, so a dead letter's runs (the
 * failures its budget counted, who terminated it) can be read for as long as the letter exists.
 * Set by the local stack and docker-compose.yml; completed work outlives it in `completed_work`.
 */
export const NAMESPACE_RETENTION_SECONDS = DLQ_RETENTION_SECONDS + 24 * 3600;

const DEFAULTS = {
  maxReceiveCount: 50,
  failedRunBudget: 5,
  visibilityTimeoutSeconds: 60,
  retentionSeconds: FOUR_DAYS,
  backlogCeiling: 200_000,
  poller: { concurrency: 20, batchSize: 10, waitSeconds: 20, retryDelaySeconds: 30 },
  alarms: { oldestMessageAgeSeconds: 900, consumerStallMinutes: 10 },
};

/** Background work may lag behind; an hour's wait is late, not yet broken. */
const BACKGROUND_ALARMS = { ...DEFAULTS.alarms, oldestMessageAgeSeconds: 3_600 };

type QueueOverrides = Partial<QueueDefinition> & Pick<QueueDefinition, 'family'>;

function fifoQueue(name: QueueName, overrides: QueueOverrides): QueueDefinition {
  return { ...DEFAULTS, name, fifo: true, ...overrides };
}

function standardQueue(name: QueueName, overrides: QueueOverrides): QueueDefinition {
  return { ...DEFAULTS, name, fifo: false, ...overrides };
}

export const QUEUES: readonly QueueDefinition[] = [
  fifoQueue('account-sync', { family: 'account' }),
  // Stock moves must reach the marketplaces within minutes or sellers oversell.
  fifoQueue('inventory-deduct', { family: 'inventory', alarms: { ...DEFAULTS.alarms, oldestMessageAgeSeconds: 300 } }),
  ...MARKETPLACES.map((marketplace) => fifoQueue(`marketplace-push-${marketplace}`, { family: 'marketplace-push' })),
  standardQueue('returns-sync', { family: 'background', alarms: BACKGROUND_ALARMS }),
  standardQueue('document-download', {
    family: 'background',
    visibilityTimeoutSeconds: 300,
    alarms: BACKGROUND_ALARMS,
  }),
  standardQueue('payout-sync', { family: 'background', alarms: BACKGROUND_ALARMS }),
  standardQueue('reconciliation', { family: 'background', visibilityTimeoutSeconds: 300, alarms: BACKGROUND_ALARMS }),
];

/** The Temporal task queue a family's workflows run on, under the configured base name. */
export function taskQueueFor(family: QueueFamily, baseTaskQueue: string): string {
  return `${baseTaskQueue}.${family}`;
}

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
