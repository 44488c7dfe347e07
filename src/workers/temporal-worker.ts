/**
 * The Temporal worker role: every workflow and activity of the service, on the base task queue (the
 * smoke check) and on each queue family's task queue, where the pollers start workflows. One
 * workflow bundle serves all of them.
 */
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, echo, type Activities } from '../activities';
import { loadConfig, requireMarketplaceConfig, type Config } from '../config';
import { loadCredentials } from '../db/credentials';
import { createPool } from '../db/pool';
import { missingSecret } from '../marketplaces/access-tokens';
import { createMarketplaces } from '../marketplaces';
import { startHealthServer, type ReadinessChecks } from '../platform/health-server';
import { traceActivities } from '../observability/activity-trace';
import { roleLogger, type Logger } from '../platform/logger';
import { temporalLogger } from '../platform/temporal-logger';
import { postgresReady, redisReady, temporalWorkersRunning } from '../platform/probes';
import { temporalProbe } from '../pollers/create-pollers';
import { QUEUES, taskQueueFor } from '../queues/catalogue';
import { createRedisConnection } from '../platform/redis';
import {
  postgresServer,
  redisServer,
  requireServers,
  temporalServer,
  type Dependency,
} from '../platform/startup-checks';
import { onShutdownSignal, runMain } from '../platform/main';
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
  return {
    activities: createActivities({ pool, keyring, marketplaces, documentStoreDir }),
    checks: { postgres: postgresReady(pool), redis: redisReady(redis) },
    servers: [postgresServer(pool), redisServer(redis)],
    close: async () => {
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Checks `servers` and Temporal at once; Temporal over a lazy client of its own, closed afterwards. */
async function requireTemporalAnd(config: Config, servers: Dependency[]): Promise<void> {
  const probe = createLazyTemporalClient(config);
  try {
    await requireServers([...servers, temporalServer(temporalProbe(probe, config.temporal.namespace))]);
  } finally {
    await probe.connection.close();
  }
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
    // Workflow interceptors come with the bundle when there is one (bundleWorkflows).
    interceptors: {
      activity: [traceActivities(log)],
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

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    const log = roleLogger(config, 'worker');
    // Before anything touches the runtime: the SDK's own lines join ours, as JSON.
    Runtime.install({ logger: temporalLogger(log) });
    const { namespace } = config.temporal;
    const { activities, checks, servers, close } = createServiceActivities(config);
    await requireTemporalAnd(config, servers);
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    // Answering while the workflows are bundled (seconds): live, but not ready until the workers run.
    const workers: Worker[] = [];
    const health = await startHealthServer({
      port: config.observability.healthPort,
      checks: {
        ...checks,
        // The pollers' probe, over this worker's connection.
        temporal: temporalProbe(new Client({ connection, namespace }), namespace),
        workers: temporalWorkersRunning(workers),
      },
      log,
    });
    workers.push(...(await createServiceWorkers(config, connection, activities, log)));
    onShutdownSignal(() => {
      health.markStopping();
      workers.forEach((worker) => worker.shutdown());
    });
    log.info(
      { taskQueues: serviceTaskQueues(config), address: config.temporal.address },
      `temporal-worker: polling ${serviceTaskQueues(config).join(', ')}`,
    );
    await Promise.all(workers.map((worker) => worker.run()));
    await connection.close();
    await close();
    await health.close();
    log.info('temporal-worker: stopped');
  });
}
