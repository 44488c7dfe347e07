/**
 * The Temporal worker role: every workflow and activity of the service, on the base task queue (the
 * smoke check) and on each queue family's task queue, where the pollers start workflows. One
 * workflow bundle serves all of them.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, echo, type Activities } from '../activities';
import { requireMarketplaceConfig, type Config } from '../config';
import { loadCredentials } from '../db/credentials';
import { createPool } from '../db/pool';
import { missingSecret } from '../marketplaces/access-tokens';
import { createMarketplaces } from '../marketplaces';
import type { ReadinessChecks } from '../platform/health-server';
import { traceActivities } from '../observability/activity-trace';
import { HEARTBEAT_THROTTLE, rememberHeartbeats } from '../marketplaces/call-wait';
import { roleLogger, type Logger } from '../platform/logger';
import { temporalLogger } from '../platform/temporal-logger';
import { postgresReady, redisReady, temporalWorkersRunning } from '../platform/probes';
import { temporalProbe } from '../platform/probes';
import { QUEUES, taskQueueFor } from '../queues/catalogue';
import { sendEnvelope } from '../queues/batch-sender';
import { sendClaims } from '../queues/claim-sender';
import type { Claim } from '../db/dispatch-claims';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import type { Envelope } from '../contracts/envelope';
import { createRedisConnection } from '../platform/redis';
import { postgresServer, redisServer, temporalServer, type Dependency } from '../platform/startup-checks';
import { findRole } from './roles';
import { runRole, type Role } from '../platform/role';
import { requireKeyring } from '../platform/keyring';
import { createLazyTemporalClient } from '../platform/temporal-client';
import { temporalConnectionOptions } from '../platform/temporal-connection';

const WORKFLOWS_PATH = require.resolve('../workflows');
const WORKFLOW_INTERCEPTORS_PATH = require.resolve('../workflows/interceptors');

/** The base task queue and every family's. */
export function serviceTaskQueues(config: Config): string[] {
  const families = [...new Set(QUEUES.map((queue) => queue.family))];
  return [config.temporal.taskQueue, ...families.map((family) => taskQueueFor(family, config.temporal.taskQueue))];
}

/**
 * The activities with their real dependencies; `checks` tell whether those answer, `close` releases
 * the connections they hold.
 */
export function createServiceActivities(config: Config): {
  activities: Activities;
  checks: ReadinessChecks;
  /** The same servers, for the start-up check. */
  servers: Dependency[];
  close: () => Promise<void>;
} {
  const { documentStoreDir } = requireMarketplaceConfig(config);
  const keyring = requireKeyring(config);
  const pool = createPool(config);
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
    checks: { postgres: postgresReady(pool), redis: redisReady(redis) },
    servers: [postgresServer(pool), redisServer(redis)],
    close: async () => {
      sqs.destroy();
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Bundled once and shared by every task queue's worker; logs through the runtime's logger. */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [WORKFLOW_INTERCEPTORS_PATH],
    logger: Runtime.instance().logger,
  });
}

export interface WorkerOptions {
  /** Default: the smoke check's only. */
  activities?: object;
  /** Default: the base task queue. */
  taskQueue?: string;
  /** Default: bundle `src/workflows` for this worker alone. */
  workflowBundle?: WorkflowBundle;
  /** Where activity lines go, with their trace id. Default: the role's logger. */
  log?: Logger;
}

export async function createTemporalWorker(
  config: Config,
  connection: NativeConnection,
  {
    activities = { echo },
    taskQueue = config.temporal.taskQueue,
    workflowBundle,
    log = roleLogger(config, 'worker'),
  }: WorkerOptions = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
    maxHeartbeatThrottleInterval: HEARTBEAT_THROTTLE,
    // Workflow interceptors come with the bundle when there is one (bundleWorkflows).
    interceptors: {
      activity: [traceActivities(log), rememberHeartbeats],
      ...(workflowBundle ? {} : { workflowModules: [WORKFLOW_INTERCEPTORS_PATH] }),
    },
  });
}

export async function createServiceWorkers(
  config: Config,
  connection: NativeConnection,
  activities: Activities,
  log: Logger = roleLogger(config, 'worker'),
): Promise<Worker[]> {
  const workflowBundle = await bundleWorkflows();
  return Promise.all(
    serviceTaskQueues(config).map((taskQueue) =>
      createTemporalWorker(config, connection, { activities, taskQueue, workflowBundle, log }),
    ),
  );
}

/**
 * The role's life: its servers and Temporal checked at once (Temporal over a lazy client of its own,
 * closed once checked); then one connection for every task queue's worker. It answers /livez while the
 * workflows are bundled (seconds) but is not ready until the workers run.
 */
export function build(config: Config, log: Logger): Role {
  // Before anything touches the runtime: the SDK's own lines join ours, as JSON.
  Runtime.install({ logger: temporalLogger(log) });
  const { namespace } = config.temporal;
  const service = createServiceActivities(config);
  const probeClient = createLazyTemporalClient(config);
  const workers: Worker[] = [];
  let connection: NativeConnection | undefined;
  let stopping = false;
  return {
    servers: [...service.servers, temporalServer(temporalProbe(probeClient, namespace))],
    async prepare() {
      await probeClient.connection.close();
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
      workers.push(...(await createServiceWorkers(config, connection!, service.activities, log)));
      // A signal while the workflows were being bundled: the workers never start.
      if (stopping) return;
      log.info(
        { taskQueues: serviceTaskQueues(config), address: config.temporal.address },
        `temporal-worker: polling ${serviceTaskQueues(config).join(', ')}`,
      );
      await Promise.all(workers.map((worker) => worker.run()));
    },
    async stop() {
      stopping = true;
      workers.forEach((worker) => worker.shutdown());
    },
    async close() {
      await connection?.close();
      await service.close();
    },
  };
}

if (require.main === module) runRole(findRole('temporal-worker'), build);
