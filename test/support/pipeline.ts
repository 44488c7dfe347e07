/**
 * A poller test bench on the real servers: an isolated environment (own database and queues), a
 * Temporal worker running the stand-in workflows on task queues of its own, and helpers to send
 * envelopes and read back what the workflows recorded.
 */
import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPoller, type PollerWiring } from '../../src/pollers/create-pollers';
import type { QueuePoller } from '../../src/pollers/queue-poller';
import { findQueue, taskQueueFor, type PollerSettings, type QueueFamily } from '../../src/queues/catalogue';
import { fifoAttributes } from '../../src/queues/routing';
import { isSellerWork, serializeEnvelope, type Envelope, type MessageType } from '../../src/contracts/envelope';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createPipelineActivities, EXECUTIONS_TABLE } from '../fixtures/pipeline-activities';
import { isolatedEnvironment, type IsolatedEnvironment } from './isolated-env';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { newEnvelope } from '../../src/contracts/envelope';

export interface PipelineBench {
  t: IsolatedEnvironment;
  client: Client;
  startPoller: (
    queue: string,
    settings?: Partial<PollerSettings>,
    hooks?: Pick<PollerWiring, 'onCompleted' | 'observe' | 'executionTimeouts'>,
  ) => Promise<QueuePoller>;
  send: (queue: string, envelope: Envelope, deduplicationId?: string) => Promise<void>;
  /** Sends any body as it is; resolves with its SQS message id. */
  sendRaw: (queue: string, body: string, groupId?: string) => Promise<string>;
  executions: () => Promise<{ idempotency_key: string; account_id: string; run_id: string; phase: string; at: Date }[]>;
  close: () => Promise<void>;
}

let sequence = 0;

/** A valid envelope; seller work names a seller (`sellerId`, default: one named like the account), its FIFO group. */
export function envelope(
  type: MessageType,
  accountId: string,
  payload: Envelope['payload'] = {},
  sellerId = isSellerWork(type) ? accountId : undefined,
): Envelope {
  sequence += 1;
  return newEnvelope({
    type,
    accountId,
    ...(sellerId === undefined ? {} : { sellerId }),
    marketplace: 'meesho',
    idempotencyKey: `${type}:${accountId}:test${sequence}-${randomUUID().slice(0, 8)}`,
    dueAt: new Date().toISOString(),
    payload,
  });
}

export async function pipelineBench(
  families: QueueFamily[],
  overrides: NodeJS.ProcessEnv = {},
): Promise<PipelineBench> {
  const taskQueue = `test-${randomUUID().slice(0, 8)}`;
  const t = await isolatedEnvironment({ TEMPORAL_TASK_QUEUE: taskQueue, ...overrides });
  await t.deps.pool.query(EXECUTIONS_TABLE);

  const nativeConnection = await NativeConnection.connect({ address: t.config.temporal.address });
  const workers = await Promise.all(
    families.map((family) =>
      Worker.create({
        connection: nativeConnection,
        namespace: t.config.temporal.namespace,
        taskQueue: taskQueueFor(family, taskQueue),
        workflowsPath: require.resolve('../fixtures/pipeline-workflows'),
        activities: createPipelineActivities(t.deps.pool),
      }),
    ),
  );
  const running = workers.map((worker) => worker.run());
  const connection = await Connection.connect({ address: t.config.temporal.address });
  const client = new Client({ connection, namespace: t.config.temporal.namespace });
  const directory = new QueueDirectory(t.deps.sqs, t.config.queues.prefix);
  const pollers: { poller: QueuePoller; done: Promise<void> }[] = [];

  return {
    t,
    client,
    async startPoller(queue, settings, hooks) {
      const poller = await createPoller(
        {
          config: t.config,
          sqs: t.deps.sqs,
          client,
          pool: t.deps.pool,
          directory,
          settings: { waitSeconds: 1, ...settings },
          log: process.env.POLLER_TEST_LOG ? undefined : SILENT_LOGGER,
          ...hooks,
        },
        findQueue(queue),
      );
      pollers.push({ poller, done: poller.run() });
      return poller;
    },
    async send(queue, message, deduplicationId) {
      const fifo = findQueue(queue).fifo ? fifoAttributes(message) : {};
      await t.deps.sqs.send(
        new SendMessageCommand({
          QueueUrl: t.queueUrl(queue),
          MessageBody: serializeEnvelope(message),
          ...fifo,
          ...(deduplicationId && findQueue(queue).fifo ? { MessageDeduplicationId: deduplicationId } : {}),
        }),
      );
    },
    async sendRaw(queue, body, groupId) {
      const fifo = findQueue(queue).fifo
        ? { MessageGroupId: groupId ?? 'raw', MessageDeduplicationId: randomUUID() }
        : {};
      const { MessageId } = await t.deps.sqs.send(
        new SendMessageCommand({ QueueUrl: t.queueUrl(queue), MessageBody: body, ...fifo }),
      );
      return MessageId!;
    },
    async executions() {
      const { rows } = await t.deps.pool.query(
        'SELECT idempotency_key, account_id, run_id, phase, at FROM test_executions ORDER BY id',
      );
      return rows;
    },
    async close() {
      await Promise.all(pollers.map(({ poller }) => poller.stop(0)));
      await Promise.all(pollers.map(({ done }) => done));
      for (const worker of workers) worker.shutdown();
      await Promise.all(running);
      await nativeConnection.close();
      await connection.close();
      await t.cleanup();
    },
  };
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
