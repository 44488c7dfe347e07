/**
 * How pipeline throughput changes with processes: the same backlog drained by 1 poller process + 1
 * worker process, then by 2 + 2 (and any other count asked for). Pollers are the real role
 * (`src/workers/poller-worker.ts`, serving the six FIFO queues); workers are the bench worker
 * (`worker.ts`: the role's worker options, fixture workflows of one no-op activity). Each count gets
 * task queues of its own; throughput is messages over the time from the first send until every
 * queue is empty (a message is deleted only once its workflow completed). Peak RSS of every process.
 */
import { randomUUID } from 'node:crypto';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '../../src/config';
import { sendInBatches } from '../../src/queues/batch-sender';
import { fifoAttributes, queueForMessage } from '../../src/queues/routing';
import { serializeEnvelope } from '../../src/contracts/envelope';
import { provisionQueues } from '../../src/queues/provision';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createSqsClient } from '../../src/platform/sqs-client';
import { startRole, stopAll, waitUntilNone, type RoleProcess } from './processes';
import { envelopeFactory, FIFO_QUEUES } from './pipeline-fixture';
import { envInt, envInts, load1, roleLogLevel } from './support';

export interface ScalingBenchOptions {
  messages: number;
  accounts: number;
  /** Poller and worker processes per run, e.g. [1, 2]: n pollers + n workers. */
  processCounts: number[];
}

export function scalingBenchOptionsFromEnv(): ScalingBenchOptions {
  return {
    messages: envInt('BENCH_SCALING_MESSAGES', 1_000),
    accounts: 200,
    processCounts: envInts('BENCH_SCALING_PROCESSES', [1, 2]),
  };
}

export interface ScalingRun {
  processes: number;
  messages: number;
  seconds: number;
  perSecond: number;
  /** Throughput over the first run's. */
  ratioToFirst: number;
  load1: { start: number; end: number };
  peakRssMiB: { poller: number[]; worker: number[] };
  /** VmHWM when each was first ready, before the load. */
  readyPeakRssMiB: { poller: (number | undefined)[]; worker: (number | undefined)[] };
  /** VmRSS of each once the backlog was drained. */
  endRssMiB: { poller: (number | undefined)[]; worker: (number | undefined)[] };
}

export interface ScalingBenchSummary {
  at: string;
  messages: number;
  accounts: number;
  pollerConcurrencyPerProcess: number;
  runs: ScalingRun[];
}

/** Needs the stack's environment and `dist/` built with `scripts/bench/tsconfig.build.json`. */
export async function runScalingBench({
  messages,
  accounts,
  processCounts,
}: ScalingBenchOptions): Promise<ScalingBenchSummary> {
  const prefix = 'benchs-';
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: prefix });
  const sqs = createSqsClient(config);
  const provisioned = await provisionQueues(sqs, prefix, FIFO_QUEUES);
  const directory = new QueueDirectory(sqs, prefix);
  const purgeAll = () =>
    Promise.all(provisioned.map(({ url: QueueUrl }) => sqs.send(new PurgeQueueCommand({ QueueUrl }))));
  const outstanding = async () => {
    const depths = await Promise.all(provisioned.map(({ url }) => directory.depth(url)));
    return depths.reduce((sum, d) => sum + d.visible + d.inFlight + d.delayed, 0);
  };

  const runs: ScalingRun[] = [];
  try {
    for (const processes of processCounts) {
      await purgeAll();
      const run = randomUUID().slice(0, 8);
      const env = {
        ...process.env,
        QUEUE_PREFIX: prefix,
        TEMPORAL_TASK_QUEUE: `bench-scale-${run}`,
        POLLER_QUEUES: FIFO_QUEUES.map((queue) => queue.name).join(','),
        LOG_LEVEL: roleLogLevel(),
      };
      const workers: RoleProcess[] = [];
      const pollers: RoleProcess[] = [];
      try {
        for (let i = 1; i <= processes; i++)
          workers.push(
            await startRole({
              name: `scaling-${processes}-worker-${i}`,
              target: 'scripts/bench/worker.ts',
              env,
            }),
          );
        for (let i = 1; i <= processes; i++)
          pollers.push(
            await startRole({
              name: `scaling-${processes}-poller-${i}`,
              target: 'poller-worker',
              env,
            }),
          );
        const roles = [...workers, ...pollers];
        await Promise.all(roles.map((role) => role.waitUntilReady()));

        const loadAtStart = load1();
        const envelopeFor = envelopeFactory(run);
        const outgoing = await Promise.all(
          Array.from({ length: messages }, async (_, i) => {
            const envelope = envelopeFor(i % accounts);
            return {
              key: envelope.idempotencyKey,
              queueUrl: await directory.url(queueForMessage(envelope.type, envelope.marketplace)),
              body: serializeEnvelope(envelope),
              groupId: fifoAttributes(envelope).MessageGroupId,
              deduplicationId: fifoAttributes(envelope).MessageDeduplicationId,
            };
          }),
        );
        const started = performance.now();
        const sent = await sendInBatches(sqs, outgoing);
        if (sent.failed.length) throw new Error(`${sent.failed.length} messages not sent: ${sent.failed[0]!.reason}`);
        await waitUntilNone('messages', outstanding, roles);
        const seconds = (performance.now() - started) / 1000;
        const perSecond = messages / seconds;
        runs.push({
          processes,
          messages,
          seconds: +seconds.toFixed(1),
          perSecond: Math.round(perSecond),
          ratioToFirst: runs.length ? +(perSecond / (runs[0]!.messages / runs[0]!.seconds)).toFixed(2) : 1,
          load1: { start: loadAtStart, end: load1() },
          peakRssMiB: {
            poller: pollers.map((role) => role.peakRssMiB()),
            worker: workers.map((role) => role.peakRssMiB()),
          },
          readyPeakRssMiB: {
            poller: pollers.map((role) => role.readyPeakRssMiB()),
            worker: workers.map((role) => role.readyPeakRssMiB()),
          },
          endRssMiB: {
            poller: pollers.map((role) => role.rssMiB()),
            worker: workers.map((role) => role.rssMiB()),
          },
        });
      } finally {
        await stopAll(pollers, workers);
      }
    }
  } finally {
    sqs.destroy();
  }
  return {
    at: new Date().toISOString(),
    messages,
    accounts,
    pollerConcurrencyPerProcess: FIFO_QUEUES.reduce((sum, queue) => sum + queue.poller.concurrency, 0),
    runs,
  };
}
