/**
 * `npm run bench:pipeline`: figures, not a test. 5,000 messages over 200 accounts on the FIFO queues,
 * each starting a workflow of one no-op activity through the real pollers; in the same run, the raw
 * rate of the same Temporal server starting and completing the same workflow straight from a client
 * at the same concurrency; then latencies (send → workflow start, send → delete) at half the
 * pipeline's peak rate. Prints a table and writes `.data/bench/pipeline.json`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { createPoller } from '../../src/pollers/create-pollers';
import { sendInBatches } from '../../src/queues/batch-sender';
import { MARKETPLACES, findQueue, taskQueueFor, type Marketplace, type QueueFamily } from '../../src/queues/inventory';
import {
  fifoAttributes,
  queueForMessage,
  serializeEnvelope,
  type Envelope,
  type MessageType,
} from '../../src/queues/messages';
import { provisionQueues } from '../../src/queues/provision';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createSqsClient } from '../../src/queues/sqs-client';
import { runMain } from '../../src/runtime/main';
import { createLimiter } from '../../src/runtime/concurrency';
import { createTemporalClient } from '../../src/temporal/client';
import { DATA_DIR } from '../stack/paths';
import { loadStackEnv } from '../stack/stack';
import { createBenchActivities } from './pipeline-activities';
import { SILENT_LOGGER } from '../../src/observability/logger';

const MESSAGES = Number(process.env.BENCH_PIPELINE_MESSAGES ?? 5_000);
const ACCOUNTS = 200;
const LATENCY_MESSAGES = Number(process.env.BENCH_LATENCY_MESSAGES ?? 1_000);
const FAMILIES: QueueFamily[] = ['account', 'inventory', 'marketplace-push'];
const TYPES: MessageType[] = ['account.sync', 'inventory.deduct', 'marketplace.push'];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function latencySummary(values: number[]) {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

runMain(async () => {
  loadStackEnv();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const run = randomUUID().slice(0, 8);
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: 'benchp-', TEMPORAL_TASK_QUEUE: `bench-${run}` });
  const sqs = createSqsClient(config);
  const fifoQueues = [
    findQueue('account-sync'),
    findQueue('inventory-deduct'),
    ...MARKETPLACES.map((m) => findQueue(`marketplace-push-${m}`)),
  ];
  const provisioned = await provisionQueues(sqs, config.queues.prefix, fifoQueues);
  await Promise.all(provisioned.map(({ url }) => sqs.send(new PurgeQueueCommand({ QueueUrl: url }))));

  const startedAt = new Map<string, number>();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await Promise.all(
    [
      ...FAMILIES.map((family) => taskQueueFor(family, config.temporal.taskQueue)),
      `${config.temporal.taskQueue}.raw`,
    ].map((taskQueue) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue,
        workflowsPath: require.resolve('./pipeline-workflows'),
        activities: createBenchActivities(startedAt),
        maxConcurrentWorkflowTaskExecutions: 100,
      }),
    ),
  );
  const workersRunning = workers.map((worker) => worker.run());
  const client = await createTemporalClient(config);
  const concurrency = fifoQueues.length * findQueue('account-sync').poller.concurrency;

  // Raw: the same workflow, started and awaited straight from a client at the pipeline's concurrency.
  const rawCount = Math.min(MESSAGES, 2_000);
  const limit = createLimiter(concurrency);
  const rawStarted = performance.now();
  await Promise.all(
    Array.from({ length: rawCount }, (_, i) =>
      limit(() =>
        client.workflow.execute('noopWorkflow', {
          taskQueue: `${config.temporal.taskQueue}.raw`,
          workflowId: `bench-raw/${run}/${i}`,
          args: [{ idempotencyKey: `raw-${run}-${i}` }],
        }),
      ),
    ),
  );
  const rawRate = rawCount / ((performance.now() - rawStarted) / 1000);

  let sequence = 0;
  const envelopeFor = (account: number): Envelope => {
    const type = TYPES[account % TYPES.length]!;
    const marketplace: Marketplace = MARKETPLACES[account % MARKETPLACES.length]!;
    sequence += 1;
    return {
      v: 1,
      type,
      accountId: `bench-${account}`,
      marketplace,
      idempotencyKey: `${type}:bench-${account}:${run}-${sequence}`,
      dueAt: new Date().toISOString(),
      traceId: randomUUID(),
      payload: {},
    };
  };
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const completedAt = new Map<string, { deletedAt: number; sentAt: number }>();
  const pollers = await Promise.all(
    fifoQueues.map((queue) =>
      createPoller(
        {
          config,
          sqs,
          client,
          directory,
          log: SILENT_LOGGER,
          onCompleted: (envelope, message) =>
            completedAt.set(envelope.idempotencyKey, {
              deletedAt: Date.now(),
              sentAt: Number(message.Attributes?.SentTimestamp),
            }),
        },
        queue,
      ),
    ),
  );
  const waitFor = async (keys: string[]) => {
    while (!keys.every((key) => completedAt.has(key))) await sleep(20);
  };

  // Peak: the whole backlog is in the queues before the pollers start.
  const peakEnvelopes = Array.from({ length: MESSAGES }, (_, i) => envelopeFor(i % ACCOUNTS));
  const outgoing = await Promise.all(
    peakEnvelopes.map(async (envelope) => ({
      key: envelope.idempotencyKey,
      queueUrl: await directory.url(queueForMessage(envelope.type, envelope.marketplace)),
      body: serializeEnvelope(envelope),
      groupId: fifoAttributes(envelope).MessageGroupId,
      deduplicationId: fifoAttributes(envelope).MessageDeduplicationId,
    })),
  );
  await sendInBatches(sqs, outgoing);
  const peakStarted = performance.now();
  const running = pollers.map((poller) => poller.run());
  await waitFor(peakEnvelopes.map((e) => e.idempotencyKey));
  const peakRate = MESSAGES / ((performance.now() - peakStarted) / 1000);

  // Latency at half the peak rate: messages sent one by one, spread over accounts.
  const interval = 1000 / (peakRate / 2);
  const latencyEnvelopes: Envelope[] = [];
  const paceStarted = performance.now();
  for (let i = 0; i < LATENCY_MESSAGES; i++) {
    const envelope = envelopeFor(i % ACCOUNTS);
    latencyEnvelopes.push(envelope);
    const queueUrl = await directory.url(queueForMessage(envelope.type, envelope.marketplace));
    void sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: serializeEnvelope(envelope),
        ...fifoAttributes(envelope),
      }),
    );
    const due = paceStarted + (i + 1) * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await waitFor(latencyEnvelopes.map((e) => e.idempotencyKey));
  const toStart = latencyEnvelopes.map(
    (e) => startedAt.get(e.idempotencyKey)! - completedAt.get(e.idempotencyKey)!.sentAt,
  );
  const toDelete = latencyEnvelopes.map(
    (e) => completedAt.get(e.idempotencyKey)!.deletedAt - completedAt.get(e.idempotencyKey)!.sentAt,
  );

  await Promise.all(pollers.map((poller) => poller.stop(5_000)));
  await Promise.all(running);
  for (const worker of workers) worker.shutdown();
  await Promise.all(workersRunning);
  await client.connection.close();
  await connection.close();
  sqs.destroy();

  const summary = {
    at: new Date().toISOString(),
    messages: MESSAGES,
    accounts: ACCOUNTS,
    concurrency,
    rawTemporal: { workflows: rawCount, perSecond: Math.round(rawRate) },
    pipeline: { perSecond: Math.round(peakRate), ratioToRaw: +(peakRate / rawRate).toFixed(2) },
    atHalfPeak: {
      messages: LATENCY_MESSAGES,
      ratePerSecond: Math.round(peakRate / 2),
      sendToStartMs: latencySummary(toStart),
      sendToDeleteMs: latencySummary(toDelete),
    },
  };
  console.table([
    { measure: 'raw Temporal start+complete', 'per second': summary.rawTemporal.perSecond },
    {
      measure: `pipeline, ${MESSAGES} msgs / ${ACCOUNTS} accounts`,
      'per second': summary.pipeline.perSecond,
      'ratio to raw': summary.pipeline.ratioToRaw,
    },
  ]);
  console.table({
    'send → start (ms)': summary.atHalfPeak.sendToStartMs,
    'send → delete (ms)': summary.atHalfPeak.sendToDeleteMs,
  });
  mkdirSync(path.join(DATA_DIR, 'bench'), { recursive: true });
  writeFileSync(path.join(DATA_DIR, 'bench', 'pipeline.json'), `${JSON.stringify(summary, null, 2)}\n`);
  console.log(`at half the peak rate (${summary.atHalfPeak.ratePerSecond}/s); written to .data/bench/pipeline.json`);
});
