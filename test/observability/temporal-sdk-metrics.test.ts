/**
 * The Temporal worker role as its own process exports the SDK's metrics on TEMPORAL_METRICS_PORT, and
 * republishes its failed workflow tasks to CloudWatch as WorkflowTaskFailures (the alarm's metric).
 * A workflow type no worker knows fails its workflow tasks as a nondeterministic deploy would: the
 * workflow stays open and its tasks are retried.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { Client, Connection } from '@temporalio/client';
import { METRICS, createCloudWatchClient } from '../../src/observability/metrics';
import { sumCounter, WORKFLOW_TASK_FAILED_COUNTER } from '../../src/observability/temporal-sdk-metrics';
import { TEMPORAL_METRICS_LISTENING } from '../../src/platform/temporal-runtime';
import { taskQueueFor } from '../../src/queues/catalogue';
import { serviceTaskQueues } from '../../src/workers/temporal-worker';
import { readStatistic } from '../support/cloudwatch';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { eventually } from '../support/pipeline';
import { loggedPort, startRole, type RoleProcess } from '../support/role-process';

jest.setTimeout(180_000);

let t: IsolatedEnvironment;
let worker: RoleProcess;
let metricsUrl: string;
let connection: Connection;
let client: Client;
let cloudWatch: CloudWatchClient;
const namespace = `SellerWorkflowsTest/${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  t = await isolatedEnvironment({
    // A task queue of its own, so no other test's workflows land on this worker.
    TEMPORAL_TASK_QUEUE: `sdk-metrics-${randomUUID().slice(0, 8)}`,
    METRICS_NAMESPACE: namespace,
    // Only decides how soon a sample goes out; what is counted does not depend on it.
    METRICS_INTERVAL_SECONDS: '2',
  });
  worker = startRole('temporal-worker', { ...t.env, TEMPORAL_METRICS_PORT: '0' });
  metricsUrl = `http://127.0.0.1:${await loggedPort(worker, TEMPORAL_METRICS_LISTENING)}/metrics`;
  await worker.waitForOutput('temporal-worker: polling', 120_000);
  connection = await Connection.connect({ address: t.config.temporal.address });
  client = new Client({ connection, namespace: t.config.temporal.namespace });
  cloudWatch = createCloudWatchClient(t.config);
});

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connection?.close();
  cloudWatch?.destroy();
  await t?.cleanup();
});

const scrape = async () => (await fetch(metricsUrl)).text();

/** The samples of one metric, as `labels value` lines. */
const samples = (exposition: string, name: string) =>
  exposition.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));

const workflowTaskFailuresInCloudWatch = async () =>
  (await readStatistic(cloudWatch, namespace, METRICS.workflowTaskFailures, {}, 'Sum')) ?? 0;

it('exports schedule-to-start latencies, slots and the sticky cache for every task queue it polls', async () => {
  const taskQueue = t.config.temporal.taskQueue;
  await expect(
    client.workflow.execute('smokeCheckWorkflow', { taskQueue, workflowId: `smoke-${randomUUID()}`, args: ['hi'] }),
  ).resolves.toBe('echo: hi');

  const exposition = await eventually(
    scrape,
    (text) => samples(text, 'temporal_activity_schedule_to_start_latency_count').length > 0,
    30_000,
  );
  const onBase = (name: string) =>
    samples(exposition, name).filter((line) => line.includes(`task_queue="${taskQueue}"`));
  expect(onBase('temporal_activity_schedule_to_start_latency_count')).toHaveLength(1);
  expect(onBase('temporal_workflow_task_schedule_to_start_latency_count')).toHaveLength(1);
  expect(onBase('temporal_sticky_cache_size')).toHaveLength(1);
  // Slots, per task queue and kind: what sizing and scaling are read from.
  for (const queue of serviceTaskQueues(t.config)) {
    for (const name of ['temporal_worker_task_slots_available', 'temporal_worker_task_slots_used']) {
      const kinds = samples(exposition, name)
        .filter((line) => line.includes(`task_queue="${queue}"`))
        .map((line) => /worker_type="(\w+)"/.exec(line)?.[1]);
      expect({ queue, name, kinds: kinds.sort() }).toEqual({
        queue,
        name,
        kinds: expect.arrayContaining(['ActivityWorker', 'WorkflowWorker']),
      });
    }
  }
});

it('counts failing workflow tasks and publishes them to CloudWatch as WorkflowTaskFailures', async () => {
  const workflowId = `unknown-type-${randomUUID()}`;
  const before = sumCounter(await scrape(), WORKFLOW_TASK_FAILED_COUNTER);
  await client.workflow.start('noSuchWorkflow', { taskQueue: t.config.temporal.taskQueue, workflowId });
  try {
    const failed = await eventually(
      async () => sumCounter(await scrape(), WORKFLOW_TASK_FAILED_COUNTER),
      (total) => total > before,
      60_000,
    );
    // The workflow is not failed by its failing tasks: it waits for a fix, which is why this is alarmed.
    const { status } = await client.workflow.getHandle(workflowId).describe();
    expect(status.name).toBe('RUNNING');
    const published = await eventually(workflowTaskFailuresInCloudWatch, (sum) => sum >= failed - before, 60_000);
    expect(published).toBeGreaterThanOrEqual(1);
  } finally {
    await client.workflow.getHandle(workflowId).terminate('test done');
  }
});

it('a worker process of one family (TEMPORAL_WORKER_FAMILIES) polls only the task queue of that family', async () => {
  const inventoryOnly = startRole('temporal-worker', { ...t.env, TEMPORAL_WORKER_FAMILIES: 'inventory' });
  try {
    const port = await loggedPort(inventoryOnly, TEMPORAL_METRICS_LISTENING);
    await inventoryOnly.waitForOutput('temporal-worker: polling', 120_000);
    // The slot gauges appear once the workers have polled.
    const exposition = await eventually(
      async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
      (text) => samples(text, 'temporal_worker_task_slots_available').length > 0,
      30_000,
    );
    const polled = new Set(
      samples(exposition, 'temporal_worker_task_slots_available').map((line) => /task_queue="([^"]+)"/.exec(line)?.[1]),
    );
    expect([...polled]).toEqual([taskQueueFor('inventory', t.config.temporal.taskQueue)]);
    // The whole activity budget is the family's.
    const activitySlots = samples(exposition, 'temporal_worker_task_slots_available').find((line) =>
      line.includes('worker_type="ActivityWorker"'),
    );
    expect(Number(activitySlots?.split(' ').at(-1))).toBe(t.config.temporal.worker.activitySlots);
  } finally {
    inventoryOnly.child.kill('SIGTERM');
    await inventoryOnly.exited;
  }
});

// Last: some series (failures, evictions) exist only once the tests above have made them happen.
it('every Temporal metric the operations guide names is one the worker really exports', async () => {
  const guide = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
  const named = [...new Set(guide.match(/\btemporal_[a-z_]+/g) ?? [])];
  expect(named.length).toBeGreaterThanOrEqual(4);
  const exported = new Set(
    (await scrape())
      .split('\n')
      .filter((line) => line.startsWith('# TYPE '))
      .map((line) => line.split(' ')[2]),
  );
  expect(named.filter((name) => !exported.has(name))).toEqual([]);
});
