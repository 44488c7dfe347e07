/**
 * The service worker's tuning on the real Temporal server: a task queue's worker never runs more
 * activities at once than its share of TEMPORAL_WORKER_ACTIVITY_SLOTS, and a worker told to stop lets
 * the activity in flight finish within its shutdown grace instead of cancelling it.
 */
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleOption } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { createTemporalWorker, serviceWorkflowBundle, sizeServiceWorkers } from '../../src/workers/temporal-worker';
import { workerTuning } from '../../src/workers/worker-sizing';
import { smokeCheckWorkflow } from '../../src/workflows';

let env: TestWorkflowEnvironment;
let workflowBundle: WorkflowBundleOption;

beforeAll(async () => {
  const config = loadConfig();
  env = await TestWorkflowEnvironment.createFromExistingServer({
    address: config.temporal.address,
    namespace: config.temporal.namespace,
  });
  workflowBundle = await serviceWorkflowBundle(config);
});

afterAll(async () => {
  await env?.teardown();
});

/**
 * The production sizing of a process whose task queues are this test's own (a running `npm run dev`
 * worker cannot take its tasks), with a small activity budget: 9 slots give the inventory family 3.
 */
function testSizing(activitySlots: number) {
  const base = `test-tune-${randomUUID()}`;
  const config = loadConfig({
    ...process.env,
    TEMPORAL_TASK_QUEUE: base,
    TEMPORAL_WORKER_ACTIVITY_SLOTS: String(activitySlots),
  });
  const inventory = sizeServiceWorkers(config).taskQueues.find((queue) => queue.family === 'inventory')!;
  return { config, inventory, tuning: workerTuning(inventory, config.temporal.worker.shutdownGraceSeconds) };
}

/** An echo that takes a while, counting how many run at once; it honours cancellation (Context.sleep). */
function countedEcho(durationMs: number) {
  const seen = { running: 0, most: 0, started: 0, completed: 0 };
  let firstStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  const echo = async (message: string) => {
    seen.started += 1;
    seen.running += 1;
    seen.most = Math.max(seen.most, seen.running);
    firstStarted();
    try {
      await Context.current().sleep(durationMs);
      seen.completed += 1;
      return `echo: ${message}`;
    } finally {
      seen.running -= 1;
    }
  };
  return { seen, started, activities: { echo } };
}

describe('the service worker’s tuning', () => {
  it('runs at most its task queue’s activity slots at once, however many activities wait', async () => {
    const { config, inventory, tuning } = testSizing(9);
    expect(inventory.maxConcurrentActivityTaskExecutions).toBe(3);
    const { seen, activities } = countedEcho(1_000);
    const worker = await createTemporalWorker(config, env.nativeConnection, {
      activities,
      taskQueue: inventory.taskQueue,
      workflowBundle,
      tuning,
    });
    const workflows = 12;
    const results = await worker.runUntil(
      Promise.all(
        Array.from({ length: workflows }, (_, i) =>
          env.client.workflow.execute(smokeCheckWorkflow, {
            taskQueue: inventory.taskQueue,
            workflowId: `smoke-check/tune/${randomUUID()}`,
            args: [`m${i}`],
          }),
        ),
      ),
    );
    expect(results.sort()).toEqual(Array.from({ length: workflows }, (_, i) => `echo: m${i}`).sort());
    expect(seen.most).toBeLessThanOrEqual(3);
    expect(seen.completed).toBe(workflows);
  });

  it('lets the activity in flight finish when it is told to stop, within the shutdown grace', async () => {
    const { config, inventory, tuning } = testSizing(9);
    const { seen, started, activities } = countedEcho(3_000);
    const worker = await createTemporalWorker(config, env.nativeConnection, {
      activities,
      taskQueue: inventory.taskQueue,
      workflowBundle,
      tuning,
    });
    const running = worker.run();
    const workflowId = `smoke-check/tune-stop/${randomUUID()}`;
    await env.client.workflow.start(smokeCheckWorkflow, {
      taskQueue: inventory.taskQueue,
      workflowId,
      args: ['in flight'],
    });
    await started;
    // What SIGTERM does in the role (stop): the worker stops polling and drains.
    worker.shutdown();
    await running;
    expect(seen).toMatchObject({ started: 1, completed: 1 });
    // Its one attempt was reported as completed: no cancellation, no retry for another worker to run.
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    const activityEvents = history.events?.flatMap((event) =>
      Object.keys(event).filter(
        (key) => /^activityTask\w+EventAttributes$/.test(key) && event[key as keyof typeof event],
      ),
    );
    expect(activityEvents).toEqual([
      'activityTaskScheduledEventAttributes',
      'activityTaskStartedEventAttributes',
      'activityTaskCompletedEventAttributes',
    ]);
  });
});
