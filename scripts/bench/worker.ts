/**
 * The Temporal worker of the pipeline benchmarks as a process of its own: the role's worker options
 * (`createTemporalWorker`, activity tracing, workflow interceptors in one bundle) with the fixture
 * workflows (`pipeline-workflows.ts`) instead of the service's, on the task queues of the FIFO
 * families under TEMPORAL_TASK_QUEUE. Answers /readyz on HEALTH_PORT like the role; SIGTERM stops it.
 * Compiled with the service (`tsc -p scripts/bench/tsconfig.build.json`) and started by `npm run bench`.
 */
import { bundleWorkflowCode, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config';
import { startHealthServer } from '../../src/platform/health-server';
import { roleLogger } from '../../src/platform/logger';
import { temporalWorkersRunning } from '../../src/platform/probes';
import { temporalLogger } from '../../src/platform/temporal-logger';
import { taskQueueFor } from '../../src/queues/catalogue';
import { onShutdownSignal, runMain } from '../../src/platform/main';
import { temporalConnectionOptions } from '../../src/platform/temporal-connection';
import { createTemporalWorker } from '../../src/workers/temporal-worker';
import { createBenchActivities } from './pipeline-activities';
import { FAMILIES } from './pipeline-fixture';

runMain(async () => {
  const config = loadConfig();
  const log = roleLogger(config, 'bench-worker');
  Runtime.install({ logger: temporalLogger(log) });
  const workers: Worker[] = [];
  const health = await startHealthServer({
    port: config.observability.healthPort,
    checks: { workers: temporalWorkersRunning(workers) },
    log,
  });
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./pipeline-workflows'),
    workflowInterceptorModules: [require.resolve('../../src/workflows/interceptors')],
    logger: Runtime.instance().logger,
  });
  const taskQueues = FAMILIES.map((family) => taskQueueFor(family, config.temporal.taskQueue));
  // Start times are recorded in this process, where nobody reads them: only throughput is measured here.
  const activities = createBenchActivities(new Map());
  workers.push(
    ...(await Promise.all(
      taskQueues.map((taskQueue) =>
        createTemporalWorker(config, connection, { activities, taskQueue, workflowBundle, log }),
      ),
    )),
  );
  onShutdownSignal(() => {
    health.markStopping();
    workers.forEach((worker) => worker.shutdown());
  });
  log.info({ taskQueues }, `bench-worker: polling ${taskQueues.join(', ')}`);
  await Promise.all(workers.map((worker) => worker.run()));
  await connection.close();
  await health.close();
});
