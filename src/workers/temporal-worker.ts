/**
 * The Temporal worker role: every workflow and activity of the service, on the base task queue (the
 * smoke check) and on each queue family's task queue, where the pollers start workflows. One
 * workflow bundle serves all of them.
 */
import { bundleWorkflowCode, NativeConnection, Runtime, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities, echo, type Activities } from '../activities';
import { loadConfig, requireMarketplaceConfig, type Config } from '../config';
import { loadCredentials } from '../db/credentials';
import { createPool } from '../db/pool';
import { missingSecret } from '../marketplaces/auth';
import { createMarketplaces } from '../marketplaces';
import { QUEUES, taskQueueFor } from '../queues/inventory';
import { createRedisConnection } from '../redis/connection';
import { onShutdownSignal, runMain } from '../runtime/main';
import { requireKeyring } from '../security/credentials';
import { temporalConnectionOptions } from '../temporal/connection-options';

const WORKFLOWS_PATH = require.resolve('../workflows');

/** The base task queue and every family's. */
export function serviceTaskQueues(config: Config): string[] {
  const families = [...new Set(QUEUES.map((queue) => queue.family))];
  return [config.temporal.taskQueue, ...families.map((family) => taskQueueFor(family, config.temporal.taskQueue))];
}

/** The activities with their real dependencies; `close` releases the connections they hold. */
export function createServiceActivities(config: Config): { activities: Activities; close: () => Promise<void> } {
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
    close: async () => {
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Bundled once and shared by every task queue's worker; logs through the runtime's logger. */
export function bundleWorkflows(): Promise<WorkflowBundle> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: Runtime.instance().logger });
}

export interface WorkerOptions {
  /** Default: the smoke check's only. */
  activities?: object;
  /** Default: the base task queue. */
  taskQueue?: string;
  /** Default: bundle `src/workflows` for this worker alone. */
  workflowBundle?: WorkflowBundle;
}

export async function createTemporalWorker(
  config: Config,
  connection: NativeConnection,
  { activities = { echo }, taskQueue = config.temporal.taskQueue, workflowBundle }: WorkerOptions = {},
): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities,
  });
}

export async function createServiceWorkers(
  config: Config,
  connection: NativeConnection,
  activities: Activities,
): Promise<Worker[]> {
  const workflowBundle = await bundleWorkflows();
  return Promise.all(
    serviceTaskQueues(config).map((taskQueue) =>
      createTemporalWorker(config, connection, { activities, taskQueue, workflowBundle }),
    ),
  );
}

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    const { activities, close } = createServiceActivities(config);
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    const workers = await createServiceWorkers(config, connection, activities);
    onShutdownSignal(() => workers.forEach((worker) => worker.shutdown()));
    console.log(`temporal-worker: polling ${serviceTaskQueues(config).join(', ')} on ${config.temporal.address}`);
    await Promise.all(workers.map((worker) => worker.run()));
    await connection.close();
    await close();
    console.log('temporal-worker: stopped');
  });
}
