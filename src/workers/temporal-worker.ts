/**
 * The Temporal worker role: every workflow and activity of the service, on the base task queue (the
 * smoke check) and on each queue family's task queue, where the pollers start workflows. One
 * workflow bundle serves all of them.
 */
import v8 from 'node:v8';
import { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { configuredFlusher, createCloudWatchClient, type MetricsFlusher } from '../observability/metrics';
import { workflowTaskFailureSampler } from '../observability/temporal-sdk-metrics';
import { installTemporalRuntime } from '../platform/temporal-runtime';
import { createActivities, echo, type Activities } from '../activities';
import { requireMarketplaceConfig, type Config } from '../config';
import { loadCredentials } from '../db/credentials';
import { createPool } from '../db/pool';
import { missingSecret } from '../marketplaces/access-tokens';
import { createMarketplaces } from '../marketplaces';
import type { ReadinessChecks } from '../platform/health-server';
import { scrubActivityFailures, traceActivities } from '../observability/activity-trace';
import { HEARTBEAT_THROTTLE, rememberHeartbeats } from '../marketplaces/call-wait';
import { roleLogger, type Logger } from '../platform/logger';
import { postgresReady, redisReady, temporalWorkersRunning } from '../platform/probes';
import { temporalProbe } from '../platform/probes';
import { QUEUES, taskQueueFor } from '../queues/catalogue';
import { sendEnvelope } from '../queues/batch-sender';
import { sendClaims } from '../queues/claim-sender';
import type { Claim } from '../db/dispatch-claims';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import type { Envelope } from '../contracts/envelope';
import { createRedisConnection, failoverRideOutMs } from '../platform/redis';
import { postgresServer, redisServer, temporalServer, type Dependency } from '../platform/startup-checks';
import { findRole } from './roles';
import { runRole, type Role } from '../platform/role';
import { requireKeyring } from '../platform/keyring';
import { createLazyTemporalClient } from '../platform/temporal-client';
import { temporalConnectionOptions } from '../platform/temporal-connection';
import { workflowBundleFor } from '../platform/workflow-bundle';
import {
  ACTIVITY_CONNECTION_TIMEOUT_MS,
  sizeWorkerProcess,
  workerTuning,
  type ProcessSizing,
  type WorkerTuning,
} from './worker-sizing';

/** This process's split of TEMPORAL_WORKER_* between its task queues, the cache sized from this heap. */
export function sizeServiceWorkers(config: Config): ProcessSizing {
  const { taskQueue, worker } = config.temporal;
  const heapLimitMiB = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
  return sizeWorkerProcess(worker, taskQueue, (family) => taskQueueFor(family, taskQueue), heapLimitMiB);
}

/** The task queues this process polls: the base one and every family's, or TEMPORAL_WORKER_FAMILIES'. */
export function serviceTaskQueues(config: Config): string[] {
  return sizeServiceWorkers(config).taskQueues.map((sizing) => sizing.taskQueue);
}

/**
 * The activities with their real dependencies; `checks` tell whether those answer, `close` releases
 * the connections they hold.
 */
export function createServiceActivities(
  config: Config,
  sizing: ProcessSizing = sizeServiceWorkers(config),
): {
  activities: Activities;
  checks: ReadinessChecks;
  /** The same servers, for the start-up check. */
  servers: Dependency[];
  /** The activities' PostgreSQL pool (sized by sizeServiceWorkers). */
  pool: Pool;
  close: () => Promise<void>;
} {
  const { documentStoreDir } = requireMarketplaceConfig(config);
  const keyring = requireKeyring(config);
  // One connection per activity slot that uses PostgreSQL: an activity never waits for another's.
  const pool = createPool(config, {
    max: sizing.poolMax,
    connectionTimeoutMillis: ACTIVITY_CONNECTION_TIMEOUT_MS,
  });
  const redis = createRedisConnection(config);
  const secrets = async (accountId: string) => {
    const stored = await loadCredentials(pool, keyring, accountId);
    if (!stored) throw missingSecret(accountId, 'credentials');
    return stored.secrets;
  };
  const marketplaces = createMarketplaces(config, redis, secrets);
  // Not a readiness check: without SQS only the token refreshes activities request wait (their
  // activities retry), and the order syncs' outbox messages wait in their claims for a scheduling
  // tick to send them; everything else the worker does goes on.
  const sqs = createSqsClient(config);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const sendMessage = (envelope: Envelope) => sendEnvelope(sqs, directory, envelope);
  const activities = createActivities({
    pool,
    keyring,
    marketplaces,
    documentStoreDir,
    sendMessage,
    sendClaims: (claims: readonly Claim[]) => sendClaims({ sqs, directory, pool }, claims),
    claimLeaseSeconds: config.sweeps.claimLeaseSeconds,
  });
  return {
    activities,
    pool,
    checks: { postgres: postgresReady(pool), redis: redisReady(redis, failoverRideOutMs(config)) },
    servers: [postgresServer(pool), redisServer(redis, failoverRideOutMs(config))],
    close: async () => {
      sqs.destroy();
      redis.disconnect();
      await pool.end();
    },
  };
}

/**
 * The bundle `npm run build` wrote (workflows and their interceptors), shared by every task queue's
 * worker; see src/platform/workflow-bundle.ts for what happens when it is missing or stale.
 */
export function serviceWorkflowBundle(config: Config): Promise<WorkflowBundleOption> {
  return workflowBundleFor(config.temporal.workflowBundle, Runtime.instance().logger);
}

export interface WorkerOptions {
  /** Default: the smoke check's only. */
  activities?: object;
  /** Default: the base task queue. */
  taskQueue?: string;
  /** Default: the prebuilt bundle (serviceWorkflowBundle). */
  workflowBundle?: WorkflowBundleOption;
  /** Where activity lines go, with their trace id. Default: the role's logger. */
  log?: Logger;
  /** Slots, cache and shutdown times (worker-sizing.ts). Default: the SDK's. */
  tuning?: WorkerTuning;
}

export async function createTemporalWorker(
  config: Config,
  connection: NativeConnection,
  {
    activities = { echo },
    taskQueue = config.temporal.taskQueue,
    workflowBundle,
    log = roleLogger(config, 'worker'),
    tuning,
  }: WorkerOptions = {},
): Promise<Worker> {
  return Worker.create({
    ...tuning,
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    // The workflow interceptors are in the bundle.
    workflowBundle: workflowBundle ?? (await serviceWorkflowBundle(config)),
    activities,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    interceptors: { activity: [scrubActivityFailures, traceActivities(log), rememberHeartbeats] },
  });
}

export async function createServiceWorkers(
  config: Config,
  connection: NativeConnection,
  activities: Activities,
  log: Logger = roleLogger(config, 'worker'),
  sizing: ProcessSizing = sizeServiceWorkers(config),
): Promise<Worker[]> {
  const workflowBundle = await serviceWorkflowBundle(config);
  const { shutdownGraceSeconds } = config.temporal.worker;
  return Promise.all(
    sizing.taskQueues.map((queue) =>
      createTemporalWorker(config, connection, {
        activities,
        taskQueue: queue.taskQueue,
        workflowBundle,
        log,
        tuning: workerTuning(queue, shutdownGraceSeconds),
      }),
    ),
  );
}

/**
 * The role's life: its servers and Temporal checked at once (Temporal over a lazy client of its own,
 * closed once checked); then one connection for every task queue's worker, all loading the prebuilt
 * workflow bundle. It answers /livez while the workers are created but is not ready until they run.
 */
export function build(config: Config, log: Logger): Role {
  const { namespace } = config.temporal;
  // Derived once: the pool, the workers and the start-up line must agree on the same split.
  const sizing = sizeServiceWorkers(config);
  const service = createServiceActivities(config, sizing);
  const probeClient = createLazyTemporalClient(config);
  const workers: Worker[] = [];
  let connection: NativeConnection | undefined;
  let metrics: MetricsFlusher | undefined;
  let stopping = false;
  return {
    servers: [...service.servers, temporalServer(temporalProbe(probeClient, namespace))],
    async prepare() {
      await probeClient.connection.close();
      // Before the first NativeConnection: the SDK's lines join ours, its metrics get their endpoint.
      const sdkMetrics = await installTemporalRuntime(config, log);
      metrics = configuredFlusher(config, {
        cloudWatch: createCloudWatchClient(config),
        log,
        beforeFlush: workflowTaskFailureSampler(sdkMetrics.url),
      }).start();
      connection = await NativeConnection.connect(temporalConnectionOptions(config));
    },
    get checks() {
      return {
        ...service.checks,
        // The pollers' probe, over this worker's connection.
        temporal: temporalProbe(new Client({ connection: connection!, namespace }), namespace),
        workers: temporalWorkersRunning(workers),
      };
    },
    async run() {
      workers.push(...(await createServiceWorkers(config, connection!, service.activities, log, sizing)));
      // A signal while the workers were being created: they never start.
      if (stopping) return;
      const { taskQueues, poolMax, cacheMiB } = sizing;
      log.info(
        { taskQueues, poolMax, cacheMiB, address: config.temporal.address },
        `temporal-worker: polling ${taskQueues.map((queue) => queue.taskQueue).join(', ')}`,
      );
      await Promise.all(workers.map((worker) => worker.run()));
    },
    async stop() {
      stopping = true;
      workers.forEach((worker) => worker.shutdown());
    },
    async close() {
      await metrics?.stop();
      await connection?.close();
      await service.close();
    },
  };
}

if (require.main === module) runRole(findRole('temporal-worker'), build);
