/**
 * How one Temporal worker process splits its budget between its task queues (plain data, no I/O).
 *
 * The SDK's defaults are per `Worker`: each of the process's five would take 100 activities and size
 * its sticky cache from the whole heap, so the process promised 500 activities over a PostgreSQL pool
 * of 10 and five times the heap to its caches. Here the process has one budget (TEMPORAL_WORKER_*)
 * and each task queue gets a share of it; the PostgreSQL pool is sized from the activity slots that
 * use it.
 */
import type { WorkerBudgetSettings } from '../config';
import type { QueueFamily } from '../queues/catalogue';

/**
 * Each family's share of the activity slots, workflow task slots and cache. Activity slots are held
 * for an activity's whole attempt, 429 waits included, so the families whose activities wait longest
 * on marketplaces and matter most to sellers get the most:
 * - inventory: stock sagas (PostgreSQL bookkeeping and reservations, then marketplace pushes that may
 *   wait out 429s for minutes); a stock move must reach the marketplaces within 5 minutes (its alarm).
 * - marketplace-push: one marketplace call per activity, 429 waits of up to 3 minutes inside it, fed by
 *   the four marketplaces' queues; a record of the push in PostgreSQL.
 * - account: paged reads of orders and listings (minutes, page by page into PostgreSQL) and token
 *   refreshes.
 * - background: returns, payouts, reconciliation and document downloads (up to 15 minutes each); late
 *   is acceptable there (its alarm waits an hour), so it gets the smallest share.
 * Every family's activities use PostgreSQL.
 */
export const FAMILY_SHARES: Readonly<Record<QueueFamily, number>> = {
  inventory: 3,
  'marketplace-push': 3,
  account: 2,
  background: 1,
};

/**
 * The base task queue runs only the smoke check (an echo, no PostgreSQL): the smallest worker the SDK
 * allows with a cache (2 workflow tasks, 2 cached workflows).
 */
export const BASE_QUEUE_SIZING = { activitySlots: 1, workflowTaskSlots: 2, cachedWorkflows: 2 } as const;

/** The SDK's own estimate with reused V8 contexts: 600 cached workflows per GiB of heap. */
export const CACHED_WORKFLOW_MIB = 1024 / 600;
/** Heap the SDK keeps out of its cache estimate (the runtime, the bundle, the activities' own work). */
export const HEAP_RESERVE_MIB = 200;
/**
 * PostgreSQL connections beyond one per activity slot: the /readyz probe's query, and one spare for an
 * activity that briefly holds a transaction's client while a query of its own waits for another.
 */
export const POOL_HEADROOM = 2;

/**
 * How long an activity waits for a PostgreSQL connection before its attempt fails (PostgresPoolExhausted,
 * retryable): well below the database activities' 30 s start-to-close (src/workflows/activity-options.ts),
 * so a starved attempt fails and is retried by its policy instead of queuing past its timeout and
 * running later as a zombie beside its own retry. A free connection is normally there at once (one per
 * slot); 5 s also covers opening a new one to a server under load.
 */
export const ACTIVITY_CONNECTION_TIMEOUT_MS = 5_000;

export interface TaskQueueSizing {
  readonly taskQueue: string;
  /** undefined: the base task queue. */
  readonly family?: QueueFamily;
  readonly maxConcurrentActivityTaskExecutions: number;
  readonly maxConcurrentWorkflowTaskExecutions: number;
  readonly maxCachedWorkflows: number;
  readonly usesPostgres: boolean;
}

export interface ProcessSizing {
  readonly taskQueues: readonly TaskQueueSizing[];
  /** The PostgreSQL pool of the activities: one connection per slot that uses it, plus headroom. */
  readonly poolMax: number;
  readonly cacheMiB: number;
}

/**
 * The cache's MiB when TEMPORAL_WORKER_CACHE_MIB is unset: half of what the SDK would give one worker
 * (heap limit less its reserve), shared by all of them; the other half is the activities' (pages of
 * marketplace records, document chunks).
 */
export function defaultCacheMiB(heapLimitMiB: number): number {
  return Math.max(Math.floor((heapLimitMiB - HEAP_RESERVE_MIB) / 2), 16);
}

/**
 * Splits `total` by `shares` (largest remainders), each part at least `minimum`: a family always has
 * a slot, and the parts add up to `total` whenever it covers the minimums.
 */
export function apportion<K extends string>(
  total: number,
  shares: Readonly<Record<K, number>>,
  minimum: number,
): Record<K, number> {
  const keys = Object.keys(shares) as K[];
  const spare = Math.max(total - minimum * keys.length, 0);
  const sum = keys.reduce((acc, key) => acc + shares[key], 0);
  const exact = keys.map((key) => ({ key, value: (spare * shares[key]) / sum }));
  const parts = Object.fromEntries(exact.map(({ key, value }) => [key, minimum + Math.floor(value)])) as Record<
    K,
    number
  >;
  let left = spare - exact.reduce((acc, { value }) => acc + Math.floor(value), 0);
  const byRemainder = [...exact].sort((a, b) => (b.value % 1) - (a.value % 1));
  for (const { key } of byRemainder) {
    if (left <= 0) break;
    parts[key] += 1;
    left -= 1;
  }
  return parts;
}

/** The shares of the families this process serves (TEMPORAL_WORKER_FAMILIES; all when unset). */
function sharesOf(families: readonly QueueFamily[] | undefined): Readonly<Record<string, number>> {
  if (!families) return FAMILY_SHARES;
  return Object.fromEntries(families.map((family) => [family, FAMILY_SHARES[family]]));
}

/**
 * Every task queue's slots and cache from the process budget, split between the families the process
 * serves (a process of one family gives it the whole budget). The base task queue (the smoke check)
 * is polled only by a process that serves every family: each task queue's worker runs the workflows
 * in a V8 context of its own (about 50 MiB), so a process of one family is one worker.
 * `familyTaskQueue` names a family's task queue; `heapLimitMiB` is this process's V8 heap limit (the
 * cache's budget when none is configured).
 */
export function sizeWorkerProcess(
  budget: Pick<WorkerBudgetSettings, 'activitySlots' | 'workflowTaskSlots' | 'cacheMiB' | 'families'>,
  baseTaskQueue: string,
  familyTaskQueue: (family: QueueFamily) => string,
  heapLimitMiB: number,
): ProcessSizing {
  const cacheMiB = budget.cacheMiB ?? defaultCacheMiB(heapLimitMiB);
  const shares = sharesOf(budget.families);
  const activitySlots = apportion(budget.activitySlots, shares, 1);
  // The SDK refuses fewer than 2 workflow task slots on a worker with a cache.
  const workflowTaskSlots = apportion(budget.workflowTaskSlots, shares, 2);
  const cachedWorkflows = apportion(Math.floor(cacheMiB / CACHED_WORKFLOW_MIB), shares, 2);
  const families = (Object.keys(shares) as QueueFamily[]).map((family): TaskQueueSizing => ({
    taskQueue: familyTaskQueue(family),
    family,
    maxConcurrentActivityTaskExecutions: activitySlots[family]!,
    maxConcurrentWorkflowTaskExecutions: workflowTaskSlots[family]!,
    // The SDK caps workflow task slots at the cache size: a cache never smaller than them.
    maxCachedWorkflows: Math.max(cachedWorkflows[family]!, workflowTaskSlots[family]!),
    usesPostgres: true,
  }));
  const base: TaskQueueSizing = {
    taskQueue: baseTaskQueue,
    maxConcurrentActivityTaskExecutions: BASE_QUEUE_SIZING.activitySlots,
    maxConcurrentWorkflowTaskExecutions: BASE_QUEUE_SIZING.workflowTaskSlots,
    maxCachedWorkflows: BASE_QUEUE_SIZING.cachedWorkflows,
    usesPostgres: false,
  };
  const taskQueues = budget.families ? families : [base, ...families];
  const postgresSlots = taskQueues
    .filter((queue) => queue.usesPostgres)
    .reduce((acc, queue) => acc + queue.maxConcurrentActivityTaskExecutions, 0);
  return { taskQueues, poolMax: postgresSlots + POOL_HEADROOM, cacheMiB };
}

/**
 * How long a stopping worker waits before it stops waiting. Both count from the signal: the grace lets
 * activities in flight finish, then cancels them; the force time (the margin after the grace) bounds a
 * cancelled activity that does not answer: the worker then ends with the SDK's
 * GracefulShutdownPeriodExpiredError, and the process exits before the orchestrator kills it
 * (stop_grace_period > grace + margin + closing the connections).
 */
export const SHUTDOWN_FORCE_MARGIN_SECONDS = 15;

/** The SDK's options for one task queue's `Worker`, from its sizing and the shutdown grace. */
export function workerTuning(sizing: TaskQueueSizing, shutdownGraceSeconds: number) {
  return {
    maxConcurrentActivityTaskExecutions: sizing.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: sizing.maxConcurrentWorkflowTaskExecutions,
    maxCachedWorkflows: sizing.maxCachedWorkflows,
    shutdownGraceTime: shutdownGraceSeconds * 1_000,
    shutdownForceTime: (shutdownGraceSeconds + SHUTDOWN_FORCE_MARGIN_SECONDS) * 1_000,
  };
}

export type WorkerTuning = ReturnType<typeof workerTuning>;
