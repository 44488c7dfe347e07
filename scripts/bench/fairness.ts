/**
 * `npm run bench:fairness`: a small seller's wait while one seller floods a shared task queue (issue 18).
 * A worker in this process with BENCH_FAIRNESS_SLOTS activity slots (default 2) runs one activity of
 * BENCH_FAIRNESS_ACTIVITY_MS per workflow. Three runs on fresh task queues:
 *
 *   alone          the small seller's BENCH_FAIRNESS_SMALL workflows, one every BENCH_FAIRNESS_PACE_MS
 *   flood, FIFO    the big seller's BENCH_FAIRNESS_FLOOD workflows started at once, then the small
 *                  seller's as above; the poller's start options with the fairness key taken out
 *   flood, fair    the same with the poller's start options as they are (the seller's fairness key)
 *
 * For the small seller's activities it prints p50/p99 of schedule → start (the activity's wait in the
 * task queue) and of workflow start → activity start (the workflow task's wait as well). Workflows are
 * started with src/pollers/workflow-runner.ts's own options, so they carry exactly the key a poller
 * gives. Needs a server with fairness on (the stack's, scripts/stack/services/temporal.ts; any other by
 * TEMPORAL_ADDRESS): on one without, "fair" reads like FIFO.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { newEnvelope } from '../../src/contracts/envelope';
import { WORKFLOW_TYPES } from '../../src/contracts/workflows';
import { runMain } from '../../src/platform/main';
import { workflowStartOptions, type MessageSource } from '../../src/pollers/workflow-runner';
import { findQueue, taskQueueFor } from '../../src/queues/catalogue';
import { loadStackEnv } from '../stack/stack';
import type { FairnessProbeActivities } from './fairness-workflows';
import { envInt, formatTable, latencySummary, load1, writeBenchJson, type Latency } from './support';

export const BIG_SELLER = 'seller-big';
export const SMALL_SELLER = 'seller-small';
/** The shared task queue of inventory work: the family whose backlog one seller's flood fills. */
export const FAIRNESS_SOURCE: MessageSource = {
  queue: findQueue('inventory-deduct'),
  physicalName: 'bench-fairness.fifo',
};

export type Keys = 'with keys' | 'without keys';

/** One deduction of `sellerId`'s stock, unique to the run. */
export function sellerDeduct(run: string, sellerId: string, index: number) {
  return newEnvelope({
    type: 'inventory.deduct',
    accountId: `${sellerId}-acct`,
    sellerId,
    marketplace: 'ajio',
    idempotencyKey: `inventory.deduct:${run}:${sellerId}:${index}`,
    dueAt: new Date().toISOString(),
    payload: { skuId: `sku-${index}`, quantity: 1 },
  });
}

/** Starts a seller's deduction with the poller's start options, its fairness key kept or taken out. */
export async function startDeduct(
  client: Client,
  baseTaskQueue: string,
  envelope: ReturnType<typeof sellerDeduct>,
  keys: Keys,
): Promise<WorkflowHandle> {
  const { priority, ...withoutKey } = workflowStartOptions(envelope, baseTaskQueue, FAIRNESS_SOURCE, 'bench');
  return client.workflow.start(
    WORKFLOW_TYPES[envelope.type],
    keys === 'with keys' ? { ...withoutKey, priority } : withoutKey,
  );
}

/** A worker of fairness probes on the inventory family's task queue of `baseTaskQueue`. */
export async function createProbeWorker(
  connection: NativeConnection,
  namespace: string,
  baseTaskQueue: string,
  activities: FairnessProbeActivities,
  activitySlots: number,
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue: taskQueueFor(FAIRNESS_SOURCE.queue.family, baseTaskQueue),
    workflowsPath: require.resolve('./fairness-workflows'),
    activities,
    maxConcurrentActivityTaskExecutions: activitySlots,
    // About the inventory family's share of the worker's 20 workflow task slots (src/workers/worker-sizing.ts);
    // more only thrash the two cores with workflow tasks that outlast their 10 s timeout.
    maxConcurrentWorkflowTaskExecutions: 10,
  });
}

export interface FairnessBenchOptions {
  flood: number;
  small: number;
  paceMs: number;
  activityMs: number;
  slots: number;
}

export function fairnessBenchOptionsFromEnv(): FairnessBenchOptions {
  return {
    flood: envInt('BENCH_FAIRNESS_FLOOD', 800),
    small: envInt('BENCH_FAIRNESS_SMALL', 40),
    paceMs: envInt('BENCH_FAIRNESS_PACE_MS', 50),
    activityMs: envInt('BENCH_FAIRNESS_ACTIVITY_MS', 10),
    slots: envInt('BENCH_FAIRNESS_SLOTS', 2),
  };
}

export interface SmallSellerWait {
  run: 'alone' | 'flood, FIFO' | 'flood, fair';
  /** Activity scheduled → started: the wait in the activity task queue. */
  scheduleToStartMs: Latency;
  /** Workflow start requested → its activity started: the workflow task's wait too. */
  startToActivityMs: Latency;
  /** How many of the flood's activities had started when the small seller's last one did. */
  floodDoneAtLastSmall?: number;
  seconds: number;
}

export interface FairnessBenchSummary {
  options: FairnessBenchOptions;
  runs: SmallSellerWait[];
}

async function measure(
  address: string,
  namespace: string,
  options: FairnessBenchOptions,
  run: SmallSellerWait['run'],
): Promise<SmallSellerWait> {
  const id = randomUUID().slice(0, 8);
  const baseTaskQueue = `bench-fairness-${id}`;
  const keys: Keys = run === 'flood, FIFO' ? 'without keys' : 'with keys';
  const requestedAt = new Map<string, number>();
  const scheduleToStart: number[] = [];
  const startToActivity: number[] = [];
  let floodStarted = 0;
  let floodDoneAtLastSmall: number | undefined;
  const activities: FairnessProbeActivities = {
    async probe(sellerId) {
      const { info } = Context.current();
      if (sellerId === BIG_SELLER) floodStarted += 1;
      else {
        scheduleToStart.push(Date.now() - info.currentAttemptScheduledTimestampMs);
        startToActivity.push(Date.now() - requestedAt.get(info.workflowExecution?.workflowId ?? '')!);
        floodDoneAtLastSmall = floodStarted;
      }
      await sleep(options.activityMs);
    },
  };
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  const worker = await createProbeWorker(nativeConnection, namespace, baseTaskQueue, activities, options.slots);
  const start = (sellerId: string, index: number) => {
    const envelope = sellerDeduct(id, sellerId, index);
    requestedAt.set(workflowIdOf(envelope), Date.now());
    return startDeduct(client, baseTaskQueue, envelope, keys);
  };
  const began = performance.now();
  try {
    await worker.runUntil(async () => {
      const flood =
        run === 'alone' ? [] : await Promise.all(Array.from({ length: options.flood }, (_, i) => start(BIG_SELLER, i)));
      const small: WorkflowHandle[] = [];
      for (let i = 0; i < options.small; i += 1) {
        small.push(await start(SMALL_SELLER, i));
        await sleep(options.paceMs);
      }
      await Promise.all([...flood, ...small].map((handle) => handle.result()));
    });
  } finally {
    await connection.close();
    await nativeConnection.close();
  }
  return {
    run,
    scheduleToStartMs: latencySummary(scheduleToStart),
    startToActivityMs: latencySummary(startToActivity),
    ...(run === 'alone' ? {} : { floodDoneAtLastSmall }),
    seconds: +((performance.now() - began) / 1000).toFixed(1),
  };
}

const workflowIdOf = (envelope: ReturnType<typeof sellerDeduct>) =>
  workflowStartOptions(envelope, 'any', FAIRNESS_SOURCE, 'bench').workflowId;

export async function runFairnessBench(
  options: FairnessBenchOptions,
  address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  namespace = process.env.TEMPORAL_NAMESPACE ?? 'default',
): Promise<FairnessBenchSummary> {
  const runs: SmallSellerWait[] = [];
  for (const run of ['alone', 'flood, FIFO', 'flood, fair'] as const)
    runs.push(await measure(address, namespace, options, run));
  return { options, runs };
}

export function printFairnessTable({ options, runs }: FairnessBenchSummary): void {
  console.log(
    `small seller: ${options.small} workflows, one every ${options.paceMs} ms; flood: ${options.flood} of one seller; ` +
      `${options.slots} activity slots, activities of ${options.activityMs} ms`,
  );
  console.log(
    formatTable(
      runs.map((run) => ({
        run: run.run,
        'schedule → start p50 / p99': `${run.scheduleToStartMs.p50} / ${run.scheduleToStartMs.p99} ms`,
        'workflow start → activity p50 / p99': `${run.startToActivityMs.p50} / ${run.startToActivityMs.p99} ms`,
        'flood started by the last small':
          run.floodDoneAtLastSmall === undefined ? '' : `${run.floodDoneAtLastSmall} of ${options.flood}`,
        seconds: run.seconds,
      })),
    ),
  );
}

if (require.main === module) {
  runMain(async () => {
    if (!process.env.TEMPORAL_ADDRESS) loadStackEnv();
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const options = fairnessBenchOptionsFromEnv();
    const loadAtStart = load1();
    const summary = await runFairnessBench(options);
    printFairnessTable(summary);
    writeBenchJson('fairness', { ...summary, load1: { start: loadAtStart, end: load1() } });
  });
}
