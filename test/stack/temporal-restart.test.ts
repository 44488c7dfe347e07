/**
 * The stack's Temporal server keeps history across a restart. This runs a second server from the
 * same service definition on its own ports and data folder, so stopping it disturbs no other test.
 */
import { usePrivateTemporal } from '../support/private-server';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startService, stopService } from '../../scripts/stack/stack';
import { loadConfig } from '../../src/config';
import { DLQ_RETENTION_SECONDS, NAMESPACE_RETENTION_SECONDS } from '../../src/queues/catalogue';
import { createTemporalWorker } from '../../src/workers/temporal-worker';
import { smokeCheckWorkflow } from '../../src/workflows';

jest.setTimeout(180_000);

const { server, port, dataDir } = usePrivateTemporal('temporal-restart', { envName: '', port: 27233, uiPort: 28233 });
const config = loadConfig({
  ...process.env,
  TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
  TEMPORAL_TASK_QUEUE: 'restart-test',
});

async function withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    return await use(new Client({ connection, namespace: config.temporal.namespace }));
  } finally {
    await connection.close();
  }
}

/** Runs the smoke-check workflow to completion on the private server; returns its id. */
async function completeAWorkflow(input: string): Promise<string> {
  const workflowId = `smoke-check/restart-test/${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: config.temporal.address });
  const worker = await createTemporalWorker(config, nativeConnection);
  await withClient((client) =>
    worker.runUntil(
      client.workflow.execute(smokeCheckWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args: [input],
      }),
    ),
  );
  await nativeConnection.close();
  return workflowId;
}

async function expectCompleted(workflowId: string, result: string): Promise<void> {
  await withClient(async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(await handle.result()).toBe(result);
  });
}

it('still shows a completed workflow after the server is stopped and started again', async () => {
  const workflowId = await completeAWorkflow('before');

  expect(await stopService(server)).toBe(true);
  await startService(server);

  await expectCompleted(workflowId, 'echo: before');
});

it('still shows a completed workflow after the server is killed, with no chance to checkpoint', async () => {
  // SQLite's WAL with synchronous=NORMAL (SQLITE_PRAGMAS) leaves commits in the WAL file until a
  // checkpoint: a killed server must find them there when it opens the database again.
  const workflowId = await completeAWorkflow('before the kill');

  expect(await stopService({ ...server, stopSignal: 'SIGKILL' })).toBe(true);
  await startService(server);

  await expectCompleted(workflowId, 'echo: before the kill');
});

it('writes its history through a write-ahead log (the faster durable mode it is started in)', () => {
  expect(existsSync(path.join(dataDir, 'temporal.db-wal'))).toBe(true);
});

it('keeps closed runs at least as long as a DLQ keeps its letters', async () => {
  const retention = await withClient(async (client) => {
    const { config: settings } = await client.workflowService.describeNamespace({
      namespace: config.temporal.namespace,
    });
    return Number(settings?.workflowExecutionRetentionTtl?.seconds);
  });
  expect(retention).toBe(NAMESPACE_RETENTION_SECONDS);
  expect(retention).toBeGreaterThanOrEqual(DLQ_RETENTION_SECONDS);
});
