/**
 * The metrics role's gauges: what the sweep queues, the SQS queues and the business state look like
 * at each interval. Each sampler writes into the buffer the flusher then sends.
 */
import type { Queue } from 'bullmq';
import type { Pool } from 'pg';
import { attentionCounts } from '../db/attention';
import { readInventoryFigures } from '../db/inventory-figures';
import { readOperationalFigures, secondsSinceLastSuccessfulSweeps } from '../db/operational-figures';
import { QUEUES, deadLetterQueueName, queueName } from '../queues/catalogue';
import { oldestParkedLetterAgeSeconds } from '../queues/dead-letter-record';
import type { QueueDirectory } from '../queues/queue-urls';
import { METRICS, type MetricsBuffer } from './metrics';
import type { SqsMirror } from './sqs-mirror';

export type Sampler = (buffer: MetricsBuffer) => Promise<void>;

/** BullMQ job counts of each sweep queue, and how long ago each sweep last succeeded. */
export function sweepSampler(sweepQueues: readonly Queue[], pool: Pool): Sampler {
  return async (buffer) => {
    const lastSuccess = await secondsSinceLastSuccessfulSweeps(pool);
    await Promise.all(
      sweepQueues.map(async (queue) => {
        const dimensions = { Sweep: queue.name };
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
        buffer.gauge(METRICS.sweepJobsWaiting, dimensions, counts.waiting ?? 0);
        buffer.gauge(METRICS.sweepJobsActive, dimensions, counts.active ?? 0);
        buffer.gauge(METRICS.sweepJobsDelayed, dimensions, counts.delayed ?? 0);
        buffer.gauge(METRICS.sweepJobsFailed, dimensions, counts.failed ?? 0);
        const seconds = lastSuccess.get(queue.name);
        // Never succeeded: no figure, and the staleness alarm reads INSUFFICIENT_DATA rather than a guess.
        if (seconds !== undefined) buffer.gauge(METRICS.secondsSinceLastSuccessfulSweep, dimensions, seconds);
      }),
    );
  };
}

/**
 * Visible, in-flight and delayed messages of every queue and DLQ, as SQS approximates them; with a
 * mirror (a local SQS server), the figures the alarms watch under `AWS/SQS` too, read at `now`.
 */
export function sqsSampler(
  directory: QueueDirectory,
  prefix: string,
  mirror?: SqsMirror,
  now = () => new Date(),
): Sampler {
  const targets = QUEUES.flatMap((queue) => [
    { name: queueName(queue, prefix), url: () => directory.url(queue) },
    { name: deadLetterQueueName(queue, prefix), url: () => directory.deadLetterUrl(queue) },
  ]);
  return async (buffer) => {
    await Promise.all(
      targets.map(async (target) => {
        const depth = await directory.depth(await target.url());
        const dimensions = { QueueName: target.name };
        buffer.gauge(METRICS.messagesVisible, dimensions, depth.visible);
        buffer.gauge(METRICS.messagesInFlight, dimensions, depth.inFlight);
        buffer.gauge(METRICS.messagesDelayed, dimensions, depth.delayed);
        await mirror?.record(target.name, depth, now());
      }),
    );
  };
}

/**
 * Accounts, sagas, claims, schedules, oversold SKUs and unrepaired listings an operator must look at
 * (0 when none: the alarms and the dashboard read a figure, never a gap), and the compensations run
 * and drift repaired since the last sample.
 */
export function businessSampler(pool: Pool, startedAt = new Date()): Sampler {
  let since = startedAt;
  let driftSince = startedAt;
  return async (buffer) => {
    const [figures, flagged, stock] = await Promise.all([
      readOperationalFigures(pool, since),
      attentionCounts(pool),
      readInventoryFigures(pool, driftSince),
    ]);
    since = figures.until;
    driftSince = stock.until;
    buffer.gauge(METRICS.accountsNeedingReauth, {}, figures.accountsNeedingReauth);
    buffer.gauge(METRICS.sagasNeedingAttention, {}, figures.sagasNeedingAttention);
    buffer.count(METRICS.sagaCompensations, {}, figures.sagaCompensations);
    buffer.gauge(METRICS.claimsNeedingAttention, {}, flagged.claims);
    buffer.gauge(METRICS.schedulesNeedingAttention, {}, flagged.schedules);
    buffer.gauge(METRICS.oldestParkedLetterAge, {}, await oldestParkedLetterAgeSeconds(pool));
    buffer.gauge(METRICS.oversoldSkus, {}, stock.oversoldSkus);
    buffer.gauge(METRICS.unrepairedDriftListings, {}, stock.unrepairedDriftListings);
    buffer.count(METRICS.driftRepaired, {}, stock.driftRepaired);
  };
}

/** Runs every sampler; one failing (a server down) does not stop the others' figures. */
export function allSamplers(samplers: readonly Sampler[]): Sampler {
  return async (buffer) => {
    const results = await Promise.allSettled(samplers.map((sample) => sample(buffer)));
    const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    if (failures.length) throw new AggregateError(failures, failures.map((error) => error.message).join('; '));
  };
}
