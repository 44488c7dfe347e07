/** The Temporal worker role: runs every workflow and activity of the service on one task queue. */
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from '../activities';
import { loadConfig, type Config } from '../config';
import { onShutdownSignal, runMain } from '../runtime/main';
import { temporalConnectionOptions } from '../temporal/connection-options';

export async function createTemporalWorker(config: Config, connection: NativeConnection): Promise<Worker> {
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowsPath: require.resolve('../workflows'),
    activities,
  });
}

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    const worker = await createTemporalWorker(config, connection);
    onShutdownSignal(() => worker.shutdown());
    console.log(`temporal-worker: polling task queue ${config.temporal.taskQueue} on ${config.temporal.address}`);
    await worker.run();
    await connection.close();
    console.log('temporal-worker: stopped');
  });
}
