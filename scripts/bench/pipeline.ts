/**
 * `npm run bench:pipeline`: figures, not a test. 5,000 messages over 200 accounts on the FIFO queues,
 * each starting a workflow of one no-op activity through the real pollers; in the same run, the raw
 * rate of the same Temporal server starting and completing the same workflow straight from a client
 * at the same concurrency; then latencies (send → workflow start, send → delete) at half the
 * pipeline's peak rate. Pollers and workers run in this process, so its CPU over each phase is the
 * cost per message of ours (pollers + worker) against raw's (client + worker). Prints a table and writes
 * `.data/bench/pipeline.json`. `npm run bench` runs it as one of its parts (`runPipelineBench`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { destination } from 'pino';
import { createLogger, type LogLevel } from '../../src/platform/logger';
import { createPoller } from '../../src/pollers/create-pollers';
import { IGNORE_POLLER_EVENTS } from '../../src/pollers/poller-metrics';
import { sendInBatches } from '../../src/queues/batch-sender';
import { findQueue, taskQueueFor } from '../../src/queues/catalogue';
import { fifoAttributes, queueForMessage } from '../../src/queues/routing';
import { serializeEnvelope, type Envelope } from '../../src/contracts/envelope';
import { provisionQueues } from '../../src/queues/provision';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { createSqsClient } from '../../src/platform/sqs-client';
import { createPool } from '../../src/db/pool';
import { runMain } from '../../src/platform/main';
import { runRawTemporal } from './raw-temporal';
import { createTemporalClient } from '../../src/platform/temporal-client';
import { loadStackEnv } from '../stack/stack';
import { createBenchActivities } from './pipeline-activities';
import { envelopeFactory, FAMILIES, FIFO_QUEUES } from './pipeline-fixture';
import { cpuMsSince, envInt, latencySummary, load1, roleLogLevel, writeBenchJson, type Latency } from './support';

export interface PipelineBenchOptions {
  /** The backlog the pollers drain for the peak rate. */
  messages: number;
  accounts: number;
  /** Workflows started and awaited straight from a client for the raw rate. */
  rawWorkflows: number;
  /** Messages sent one by one at half the peak rate for the latencies. */
  latencyMessages: number;
}

/** Issue 4's sizes unless the caller or BENCH_PIPELINE_MESSAGES, BENCH_RAW_WORKFLOWS, BENCH_LATENCY_MESSAGES say otherwise. */
export function pipelineBenchOptionsFromEnv(
  defaults: Omit<PipelineBenchOptions, 'accounts'> = { messages: 5_000, rawWorkflows: 2_000, latencyMessages: 1_000 },
): PipelineBenchOptions {
  const messages = envInt('BENCH_PIPELINE_MESSAGES', defaults.messages);
  return {
    messages,
    accounts: 200,
    rawWorkflows: envInt('BENCH_RAW_WORKFLOWS', Math.min(messages, defaults.rawWorkflows)),
    latencyMessages: envInt('BENCH_LATENCY_MESSAGES', defaults.latencyMessages),
  };
}

export interface PipelineBenchSummary {
  at: string;
  load1: { start: number; end: number };
  messages: number;
  accounts: number;
  concurrency: number;
  /** `cpuMsPerWorkflow`: this process's user + system CPU (client and worker) per workflow. */
  rawTemporal: { workflows: number; perSecond: number; cpuMsPerWorkflow: number };
  /**
   * `cpuMsPerMessage`: this process's CPU (pollers, their SQS and PostgreSQL calls, the worker) per
   * message while the backlog drained; `cpuRatioToRaw`: that ÷ raw's CPU per workflow.
   */
  pipeline: {
    perSecond: number;
    ratioToRaw: number;
    cpuMsPerMessage: number;
    cpuRatioToRaw: number;
    /** SQS ReceiveMessage calls per message while the backlog drained. */
    receivesPerMessage: number;
  };
  atHalfPeak: { messages: number; ratePerSecond: number; sendToStartMs: Latency; sendToDeleteMs: Latency };
}

/**
 * Needs the stack's environment (`loadStackEnv`) and the Temporal runtime installed once per process
 * (`Runtime.install`), as its callers do.
 */
export async function runPipelineBench({
  messages,
  accounts,
  rawWorkflows,
  latencyMessages,
}: PipelineBenchOptions): Promise<PipelineBenchSummary> {
  const loadAtStart = load1();
  const run = randomUUID().slice(0, 8);
  const config = loadConfig({ ...process.env, QUEUE_PREFIX: 'benchp-', TEMPORAL_TASK_QUEUE: `bench-${run}` });
  const sqs = createSqsClient(config);
  // The pollers write completion records: the stack's database, migrated by prepare-local.
  const pool = createPool(config, { max: 20 });
  const provisioned = await provisionQueues(sqs, config.queues.prefix, FIFO_QUEUES);
  await Promise.all(provisioned.map(({ url }) => sqs.send(new PurgeQueueCommand({ QueueUrl: url }))));

  const startedAt = new Map<string, number>();
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const workers = await Promise.all(
    FAMILIES.map((family) => taskQueueFor(family, config.temporal.taskQueue)).map((taskQueue) =>
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
  const concurrency = FIFO_QUEUES.length * findQueue('account-sync').poller.concurrency;

  // Raw: the same workflow, started and awaited straight from a client at the pipeline's concurrency.
  const raw = await runRawTemporal(config.temporal.address, config.temporal.namespace, rawWorkflows, concurrency);
  const rawRate = rawWorkflows / raw.seconds;
  const rawCpuMs = raw.cpuMsPerWorkflow;

  const envelopeFor = envelopeFactory(run);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const completedAt = new Map<string, { deletedAt: number; sentAt: number }>();
  const receives = { calls: 0, messages: 0 };
  const countReceives = {
    ...IGNORE_POLLER_EVENTS,
    received: (count: number) => {
      receives.calls += 1;
      receives.messages += count;
    },
  };
  const pollers = await Promise.all(
    FIFO_QUEUES.map((queue) =>
      createPoller(
        {
          config,
          sqs,
          client,
          pool,
          directory,
          // The roles' level, written nowhere: the lines' cost counts in the CPU per message.
          log: createLogger({ level: roleLogLevel() as LogLevel, role: 'poller' }, destination('/dev/null')),
          observe: () => countReceives,
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
  const peakEnvelopes = Array.from({ length: messages }, (_, i) => envelopeFor(i % accounts));
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
  const peakCpu = process.cpuUsage();
  const peakStarted = performance.now();
  const running = pollers.map((poller) => poller.run());
  await waitFor(peakEnvelopes.map((e) => e.idempotencyKey));
  const peakRate = messages / ((performance.now() - peakStarted) / 1000);
  const pipelineCpuMs = cpuMsSince(peakCpu) / messages;
  const receivesPerMessage = receives.calls / messages;

  // Latency at half the peak rate: messages sent one by one, spread over accounts.
  const interval = 1000 / (peakRate / 2);
  const latencyEnvelopes: Envelope[] = [];
  const paceStarted = performance.now();
  for (let i = 0; i < latencyMessages; i++) {
    const envelope = envelopeFor(i % accounts);
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
  await pool.end();

  return {
    at: new Date().toISOString(),
    load1: { start: loadAtStart, end: load1() },
    messages,
    accounts,
    concurrency,
    rawTemporal: { workflows: rawWorkflows, perSecond: Math.round(rawRate), cpuMsPerWorkflow: +rawCpuMs.toFixed(2) },
    pipeline: {
      perSecond: Math.round(peakRate),
      ratioToRaw: +(peakRate / rawRate).toFixed(2),
      cpuMsPerMessage: +pipelineCpuMs.toFixed(2),
      cpuRatioToRaw: +(pipelineCpuMs / rawCpuMs).toFixed(2),
      receivesPerMessage: +receivesPerMessage.toFixed(2),
    },
    atHalfPeak: {
      messages: latencyMessages,
      ratePerSecond: Math.round(peakRate / 2),
      sendToStartMs: latencySummary(toStart),
      sendToDeleteMs: latencySummary(toDelete),
    },
  };
}

export function printPipelineTables(summary: PipelineBenchSummary): void {
  console.table([
    {
      measure: 'raw Temporal start+complete',
      'per second': summary.rawTemporal.perSecond,
      'CPU ms each': summary.rawTemporal.cpuMsPerWorkflow,
    },
    {
      measure: `pipeline, ${summary.messages} msgs / ${summary.accounts} accounts`,
      'per second': summary.pipeline.perSecond,
      'ratio to raw': summary.pipeline.ratioToRaw,
      'CPU ms each': summary.pipeline.cpuMsPerMessage,
      'CPU ratio to raw': summary.pipeline.cpuRatioToRaw,
      'receives each': summary.pipeline.receivesPerMessage,
    },
  ]);
  console.table({
    'send → start (ms)': summary.atHalfPeak.sendToStartMs,
    'send → delete (ms)': summary.atHalfPeak.sendToDeleteMs,
  });
}

if (require.main === module) {
  runMain(async () => {
    loadStackEnv();
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const summary = await runPipelineBench(pipelineBenchOptionsFromEnv());
    printPipelineTables(summary);
    const file = writeBenchJson('pipeline', summary);
    console.log(`at half the peak rate (${summary.atHalfPeak.ratePerSecond}/s); written to ${file}`);
  });
}
