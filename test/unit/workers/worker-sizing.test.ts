import {
  apportion,
  BASE_QUEUE_SIZING,
  CACHED_WORKFLOW_MIB,
  FAMILY_SHARES,
  POOL_HEADROOM,
  sizeWorkerProcess,
  workerTuning,
} from '../../../src/workers/worker-sizing';

const familyQueue = (family: string) => `base.${family}`;
const sum = (values: number[]) => values.reduce((acc, value) => acc + value, 0);

describe('worker sizing: one process budget split between its task queues', () => {
  const budget = { activitySlots: 36, workflowTaskSlots: 20, cacheMiB: 600 };
  const sizing = sizeWorkerProcess(budget, 'base', familyQueue, 4096);
  const byFamily = Object.fromEntries(sizing.taskQueues.map((queue) => [queue.family ?? 'base', queue]));

  it('gives every family task queue a share of the activity slots, and they add up to the budget', () => {
    // 36 slots in shares 3:3:2:1 (inventory, marketplace-push, account, background), 1 each first.
    expect({
      inventory: byFamily.inventory!.maxConcurrentActivityTaskExecutions,
      push: byFamily['marketplace-push']!.maxConcurrentActivityTaskExecutions,
      account: byFamily.account!.maxConcurrentActivityTaskExecutions,
      background: byFamily.background!.maxConcurrentActivityTaskExecutions,
    }).toEqual({ inventory: 12, push: 12, account: 8, background: 4 });
    const familySlots = sizing.taskQueues.filter((queue) => queue.family);
    expect(sum(familySlots.map((queue) => queue.maxConcurrentActivityTaskExecutions))).toBe(36);
  });

  it('keeps the base task queue (the smoke check) at the smallest worker', () => {
    expect(byFamily.base).toEqual({
      taskQueue: 'base',
      maxConcurrentActivityTaskExecutions: BASE_QUEUE_SIZING.activitySlots,
      maxConcurrentWorkflowTaskExecutions: 2,
      maxCachedWorkflows: 2,
      usesPostgres: false,
    });
  });

  it('names every task queue once: the base one and one per family', () => {
    expect(sizing.taskQueues.map((queue) => queue.taskQueue).sort()).toEqual(
      ['base', ...Object.keys(FAMILY_SHARES).map(familyQueue)].sort(),
    );
  });

  it('sizes the PostgreSQL pool to the slots of the activities that use it, plus headroom', () => {
    // Every family's activities use PostgreSQL; the smoke check's echo does not.
    expect(sizing.poolMax).toBe(36 + POOL_HEADROOM);
  });

  it('shares one cache budget between the task queues instead of giving each the whole heap', () => {
    const cached = sum(sizing.taskQueues.filter((queue) => queue.family).map((queue) => queue.maxCachedWorkflows));
    expect(cached).toBe(Math.floor(600 / CACHED_WORKFLOW_MIB));
    expect(byFamily.inventory!.maxCachedWorkflows).toBeGreaterThan(byFamily.background!.maxCachedWorkflows);
  });

  it('derives the cache budget from the heap limit when none is configured', () => {
    const small = sizeWorkerProcess({ ...budget, cacheMiB: undefined }, 'base', familyQueue, 1224);
    // (1224 MiB heap - 200 reserve) / 2 = 512 MiB for the cache.
    expect(small.cacheMiB).toBe(512);
    const large = sizeWorkerProcess({ ...budget, cacheMiB: undefined }, 'base', familyQueue, 4296);
    expect(large.cacheMiB).toBe(2048);
  });

  it('never gives a task queue fewer cached workflows than workflow task slots (the SDK caps slots at the cache)', () => {
    const tiny = sizeWorkerProcess({ activitySlots: 4, workflowTaskSlots: 200, cacheMiB: 16 }, 'base', familyQueue, 0);
    for (const queue of tiny.taskQueues) {
      expect(queue.maxCachedWorkflows).toBeGreaterThanOrEqual(queue.maxConcurrentWorkflowTaskExecutions);
      expect(queue.maxConcurrentWorkflowTaskExecutions).toBeGreaterThanOrEqual(2);
      expect(queue.maxConcurrentActivityTaskExecutions).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives the worker a shutdown grace and a force time after it, in milliseconds', () => {
    expect(workerTuning(byFamily.inventory!, 30)).toEqual({
      maxConcurrentActivityTaskExecutions: 12,
      maxConcurrentWorkflowTaskExecutions: byFamily.inventory!.maxConcurrentWorkflowTaskExecutions,
      maxCachedWorkflows: byFamily.inventory!.maxCachedWorkflows,
      shutdownGraceTime: 30_000,
      shutdownForceTime: 45_000,
    });
  });
});

describe('a process of some families (TEMPORAL_WORKER_FAMILIES)', () => {
  const budget = { activitySlots: 36, workflowTaskSlots: 20, cacheMiB: 600 };

  it('polls only those families, without the base task queue, and gives them the whole budget', () => {
    const one = sizeWorkerProcess({ ...budget, families: ['inventory'] }, 'base', familyQueue, 4096);
    expect(one.taskQueues).toEqual([
      {
        taskQueue: 'base.inventory',
        family: 'inventory',
        maxConcurrentActivityTaskExecutions: 36,
        maxConcurrentWorkflowTaskExecutions: 20,
        maxCachedWorkflows: Math.floor(600 / CACHED_WORKFLOW_MIB),
        usesPostgres: true,
      },
    ]);
    expect(one.poolMax).toBe(36 + POOL_HEADROOM);
  });

  it('splits the budget between the families it has, by their shares', () => {
    const two = sizeWorkerProcess({ ...budget, families: ['background', 'account'] }, 'base', familyQueue, 4096);
    // One slot each first, then 34 by shares 2:1 (account, background): 22.67 and 11.33, the spare slot
    // to the larger remainder.
    expect(two.taskQueues.map((queue) => [queue.family, queue.maxConcurrentActivityTaskExecutions])).toEqual([
      ['background', 12],
      ['account', 24],
    ]);
  });
});

describe('apportion', () => {
  it('splits by largest remainders and adds up to the total', () => {
    expect(apportion(20, { a: 3, b: 3, c: 2, d: 1 }, 2)).toEqual({ a: 6, b: 6, c: 5, d: 3 });
    expect(apportion(10, { a: 1, b: 1, c: 1 }, 0)).toEqual({ a: 4, b: 3, c: 3 });
  });

  it('gives each part its minimum even when the total does not cover them', () => {
    expect(apportion(3, { a: 3, b: 3, c: 2, d: 1 }, 1)).toEqual({ a: 1, b: 1, c: 1, d: 1 });
  });

  it.each([7, 36, 100, 999])('never loses or invents a slot (%i)', (total) => {
    expect(sum(Object.values(apportion(total, FAMILY_SHARES, 1)))).toBe(total);
  });
});
