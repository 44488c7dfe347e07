/**
 * The Temporal worker role as a process, as a deployment runs it: SIGTERM while an activity is in
 * flight (a marketplace read slowed down by the simulator) lets that activity finish within the
 * shutdown grace, its result reaches Temporal, and the process exits 0 on its own.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { newEnvelope } from '../../src/contracts/envelope';
import { WORKFLOW_TYPES } from '../../src/contracts/workflows';
import { workflowStartOptions } from '../../src/pollers/workflow-runner';
import { queueName } from '../../src/queues/catalogue';
import { queueForMessage } from '../../src/queues/routing';
import { SellerSeeder } from '../../scripts/harness/sellers';
import { isolatedEnvironment, type IsolatedEnvironment } from '../support/isolated-env';
import { startRole } from '../support/role-process';

let t: IsolatedEnvironment;
let connection: Connection;

beforeAll(async () => {
  t = await isolatedEnvironment({ TEMPORAL_TASK_QUEUE: `test-stop-${randomUUID().slice(0, 8)}` });
  connection = await Connection.connect({ address: t.config.temporal.address });
});

afterAll(async () => {
  await connection?.close();
  await t?.cleanup();
});

/** Event kinds of the workflow's activities (`activityTaskCompletedEventAttributes` …), in order. */
async function activityEvents(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((event) =>
    Object.keys(event).filter(
      (key) => /^activityTask\w+EventAttributes$/.test(key) && event[key as keyof typeof event],
    ),
  );
}

/** Waits until a worker has picked up the workflow's activity of this type (Temporal's pending activity). */
async function untilStarted(handle: WorkflowHandle, activityType: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { raw } = await handle.describe();
    const started = raw.pendingActivities?.some(
      (pending) =>
        pending.activityType?.name === activityType &&
        pending.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
    );
    if (started) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${activityType} never started`);
}

it('lets the activity in flight finish on SIGTERM, then exits 0', async () => {
  const client = new Client({ connection, namespace: t.config.temporal.namespace });
  const sellers = new SellerSeeder(t.deps.pool, t.config);
  const seller = await sellers.seedSeller({ marketplace: 'meesho' });
  // Every call for this seller takes 4 s: the orders read is in flight when the signal comes.
  await sellers.sim.addFault({ kind: 'latency', ms: 4_000, sellerId: seller.accountId });
  const role = startRole('temporal-worker', t.env);
  try {
    await role.waitForOutput('temporal-worker: polling', 120_000);
    const envelope = newEnvelope({
      type: 'account.sync',
      accountId: seller.accountId,
      sellerId: seller.sellerId,
      marketplace: seller.marketplace,
      idempotencyKey: `account.sync:${seller.accountId}:stop`,
      dueAt: new Date().toISOString(),
    });
    const queue = queueForMessage(envelope.type, envelope.marketplace);
    const source = { queue, physicalName: queueName(queue, t.config.queues.prefix) };
    const options = workflowStartOptions(envelope, t.config.temporal.taskQueue, source, 'none');
    const handle = await client.workflow.start(WORKFLOW_TYPES[envelope.type], options);
    await untilStarted(handle, 'syncOrders');

    role.child.kill('SIGTERM');

    expect(await role.exited).toBe(0);
    expect(role.output()).toContain('temporal-worker: stopped');
    // The read finished on its first attempt and was reported; the workflow's next task waits for a worker.
    expect(await activityEvents(client, handle.workflowId)).toEqual([
      'activityTaskScheduledEventAttributes',
      'activityTaskStartedEventAttributes',
      'activityTaskCompletedEventAttributes',
    ]);
    await handle.terminate('test over');
  } finally {
    if (role.child.exitCode === null) role.child.kill('SIGKILL');
    await sellers.sim.clearFaults(seller.accountId);
  }
});
