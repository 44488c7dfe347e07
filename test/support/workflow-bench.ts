/**
 * A bench for the real workflows and activities: an isolated environment (own database and
 * queues), the service's workers on task queues of this file's own, the marketplace simulator for
 * the four marketplaces, and sellers seeded consistently in PostgreSQL and the simulator. Workflows
 * are started the way the pollers start them (same id, task queue and search attributes).
 */
import { randomUUID } from 'node:crypto';
import { newEnvelope } from '../../src/contracts/envelope';
import {
  ApplicationFailure,
  Client,
  Connection,
  WorkflowFailedError,
  WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { SILENT_LOGGER, type Logger } from '../../src/platform/logger';
import { createPoller } from '../../src/pollers/create-pollers';
import type { QueuePoller } from '../../src/pollers/queue-poller';
import { workflowStartOptions } from '../../src/pollers/workflow-runner';
import { workflowIdFor } from '../../src/contracts/workflows';
import { sendEnvelope } from '../../src/queues/batch-sender';
import { findQueue, queueName } from '../../src/queues/catalogue';
import { MARKETPLACES } from '../../src/contracts/marketplaces';
import { QueueDirectory } from '../../src/queues/queue-urls';
import { queueForMessage } from '../../src/queues/routing';
import { WORKFLOW_TYPES } from '../../src/contracts/workflows';
import { type Envelope, type MessageType } from '../../src/contracts/envelope';
import type { SagaResult } from '../../src/workflows/saga';
import { SimulatorControl } from '../../simulator/src/control';
import { createServiceActivities, createServiceWorkers } from '../../src/workers/temporal-worker';
import { isolatedEnvironment, type IsolatedEnvironment } from './isolated-env';
import { ISSUED_TOKEN, SECRET_MARKER, SellerSeeder, type Seller, type SellerSeed } from '../../scripts/harness/sellers';

export type { ListingSeed, Seller, SellerSeed } from '../../scripts/harness/sellers';

/** How a saga ended: its result, and when its workflow failed (it compensated), how. */
export type SagaEnd = SagaResult & { failureType?: string; nonRetryable?: boolean };

/** How a workflow ended: its result, or the innermost failure (an activity's own, when one failed it). */
export type WorkflowEnd =
  | { status: 'completed'; result: unknown }
  | { status: 'failed'; failure: { type?: string; message: string; nonRetryable?: boolean } };

function innermostFailure(error: WorkflowFailedError): Extract<WorkflowEnd, { status: 'failed' }>['failure'] {
  let cause: Error = error;
  while (cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof ApplicationFailure
    ? { type: cause.type ?? undefined, message: cause.message, nonRetryable: cause.nonRetryable ?? undefined }
    : { message: cause.message };
}

export interface WorkflowBenchOptions {
  log?: Logger;
  simulatorUrl?: string;
  env?: NodeJS.ProcessEnv;
}

export class WorkflowBench {
  readonly workflowIds: string[] = [];
  readonly sellers: SellerSeeder;
  private sequence = 0;
  private readonly pollers: { poller: QueuePoller; done: Promise<void> }[] = [];

  private constructor(
    readonly t: IsolatedEnvironment,
    readonly client: Client,
    private readonly workers: Worker[],
    private readonly running: Promise<void>[],
    private readonly releaseResources: () => Promise<void>,
    simulatorUrl?: string,
  ) {
    this.sellers = new SellerSeeder(t.deps.pool, t.config, new SimulatorControl(simulatorUrl));
  }

  get sim() {
    return this.sellers.sim;
  }

  /**
   * `log`: where the worker's activity and SDK lines go (default: the role logger at LOG_LEVEL).
   * `simulatorUrl`: a simulator of the test's own for all four marketplaces (default: the stack's).
   * `env`: more settings for the isolated environment (another SQS server, say).
   */
  static async create({ log, simulatorUrl, env = {} }: WorkflowBenchOptions = {}): Promise<WorkflowBench> {
    const marketplaceUrls = simulatorUrl
      ? Object.fromEntries(MARKETPLACES.map((m) => [`MARKETPLACE_${m.toUpperCase()}_URL`, `${simulatorUrl}/${m}`]))
      : {};
    const t = await isolatedEnvironment({
      TEMPORAL_TASK_QUEUE: `test-wf-${randomUUID().slice(0, 8)}`,
      ...marketplaceUrls,
      ...env,
    });
    const service = createServiceActivities(t.config);
    const native = await NativeConnection.connect({ address: t.config.temporal.address });
    const workers = await createServiceWorkers(t.config, native, service.activities, log);
    const running = workers.map((worker) => worker.run());
    const connection = await Connection.connect({ address: t.config.temporal.address });
    const client = new Client({ connection, namespace: t.config.temporal.namespace });
    return new WorkflowBench(
      t,
      client,
      workers,
      running,
      async () => {
        await connection.close();
        await native.close();
        await service.close();
        await t.cleanup();
      },
      simulatorUrl,
    );
  }

  get pool() {
    return this.t.deps.pool;
  }

  seedSeller(seed: SellerSeed): Promise<Seller> {
    return this.sellers.seedSeller(seed);
  }

  seedSku(skuId: string, stock: number, sellerId: string): Promise<void> {
    return this.sellers.seedSku(skuId, stock, sellerId);
  }

  envelope(type: MessageType, seller: Seller, payload: Envelope['payload'] = {}, dueAt = new Date()): Envelope {
    this.sequence += 1;
    return newEnvelope({
      type,
      accountId: seller.accountId,
      sellerId: seller.sellerId,
      marketplace: seller.marketplace,
      idempotencyKey: `${type}:${seller.accountId}:t${this.sequence}`,
      dueAt: dueAt.toISOString(),
      payload,
    });
  }

  /** Starts the message's workflow with the poller's own start options. */
  async start(envelope: Envelope): Promise<WorkflowHandle> {
    const queue = queueForMessage(envelope.type, envelope.marketplace);
    const source = { queue, physicalName: queueName(queue, this.t.config.queues.prefix) };
    const options = workflowStartOptions(envelope, this.t.config.temporal.taskQueue, source, 'none');
    this.workflowIds.push(options.workflowId);
    return this.client.workflow.start(WORKFLOW_TYPES[envelope.type], options);
  }

  async execute<T = unknown>(envelope: Envelope): Promise<T> {
    return (await this.start(envelope)).result() as Promise<T>;
  }

  /**
   * Runs a saga's message to its end: the result when it completed; when the saga compensated (its
   * workflow then fails), the end it recorded in saga_runs with the workflow's failure type.
   */
  async sagaEnd(envelope: Envelope): Promise<SagaEnd> {
    const handle = await this.start(envelope);
    try {
      return (await handle.result()) as SagaEnd;
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      const { rows } = await this.pool.query(
        'SELECT status, failed_step, reason, compensations FROM saga_runs WHERE workflow_id = $1',
        [workflowIdFor(envelope)],
      );
      const row = rows[0];
      if (!row) throw error;
      const failure = error.cause instanceof ApplicationFailure ? error.cause : undefined;
      return {
        status: row.status,
        ...(row.failed_step !== null && { failedStep: row.failed_step }),
        ...(row.reason !== null && { reason: row.reason }),
        compensations: row.compensations,
        failureType: failure?.type ?? undefined,
        nonRetryable: failure?.nonRetryable ?? undefined,
      };
    }
  }

  /** Sends the message to its queue the way every producer does; a poller of that queue starts it. */
  async send(envelope: Envelope): Promise<void> {
    await sendEnvelope(this.t.deps.sqs, new QueueDirectory(this.t.deps.sqs, this.t.config.queues.prefix), envelope);
    this.workflowIds.push(workflowIdFor(envelope));
  }

  /** How the message's workflow ended, once a poller has started it and it has ended. */
  async ended(envelope: Envelope, timeoutMs = 45_000): Promise<WorkflowEnd> {
    const handle = this.client.workflow.getHandle(workflowIdFor(envelope));
    for (const deadline = Date.now() + timeoutMs; ;) {
      try {
        return { status: 'completed', result: await handle.result() };
      } catch (error) {
        if (error instanceof WorkflowFailedError) return { status: 'failed', failure: innermostFailure(error) };
        // Not started yet: the poller has not received the message.
        if (!(error instanceof WorkflowNotFoundError) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  /**
   * The full history of every workflow this bench started, payloads decoded: inputs, results,
   * failures, memo, search attributes and heartbeat details all land in it.
   */
  async historiesText(): Promise<string> {
    const texts = await Promise.all(
      this.workflowIds.map(async (workflowId) => {
        const history = await this.client.workflow.getHandle(workflowId).fetchHistory();
        // Payloads come back base64-encoded under `data`: the raw history plus every payload decoded.
        const decoded: string[] = [];
        const raw = JSON.stringify(history, (key, value: unknown) => {
          if (key === 'data' && typeof value === 'string') decoded.push(Buffer.from(value, 'base64').toString('utf8'));
          return value;
        });
        return [raw, ...decoded].join('\n');
      }),
    );
    return texts.join('\n');
  }

  /** Seeded secrets and tokens the simulator issued that appear in any history (should be none). */
  async secretsInHistories(): Promise<string[]> {
    const text = await this.historiesText();
    // Every workflow's input names its account: if that is unreadable, so would a secret be.
    if (!text.includes('"accountId":"')) throw new Error('the history scan decoded no payload');
    const found = this.sellers.secrets.filter((secret) => text.includes(secret));
    const issued = ISSUED_TOKEN.exec(text);
    if (issued) found.push(text.slice(issued.index, issued.index + 40));
    if (text.includes(SECRET_MARKER)) found.push(`marker ${SECRET_MARKER}`);
    return found;
  }

  /** The real poller of a queue, against this bench's queues and workers; stopped by close(). */
  async startPoller(queue: string, log: Logger = SILENT_LOGGER): Promise<QueuePoller> {
    const directory = new QueueDirectory(this.t.deps.sqs, this.t.config.queues.prefix);
    const poller = await createPoller(
      {
        config: this.t.config,
        sqs: this.t.deps.sqs,
        client: this.client,
        pool: this.t.deps.pool,
        directory,
        settings: { waitSeconds: 1 },
        log,
      },
      findQueue(queue),
    );
    this.pollers.push({ poller, done: poller.run() });
    return poller;
  }

  async close(): Promise<void> {
    await Promise.all(this.pollers.map(({ poller }) => poller.stop(0)));
    await Promise.all(this.pollers.map(({ done }) => done));
    for (const worker of this.workers) worker.shutdown();
    await Promise.all(this.running);
    await this.releaseResources();
  }
}

/**
 * The bench of a test file (or of a describe block): created in `beforeAll`, then `prepare`d (its
 * pollers started, say), and closed in `afterAll`. Call it where `beforeAll` may be called. What it
 * returns stands for the bench once created, so tests use it as the bench itself; touching it before
 * `beforeAll` has run fails, naming what was touched.
 */
export function useWorkflowBench(
  options: WorkflowBenchOptions = {},
  prepare: (bench: WorkflowBench) => Promise<void> = async () => {},
): WorkflowBench {
  let created: WorkflowBench | undefined;
  beforeAll(async () => {
    created = await WorkflowBench.create(options);
    await prepare(created);
  }, 120_000);
  afterAll(() => created?.close());
  return new Proxy({} as WorkflowBench, {
    get(_unused, property) {
      if (!created)
        throw new Error(`the workflow bench is not created yet (its beforeAll has not run): ${String(property)}`);
      const value: unknown = Reflect.get(created, property, created);
      return typeof value === 'function' ? value.bind(created) : value;
    },
  });
}
