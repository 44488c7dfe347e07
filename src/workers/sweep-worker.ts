/**
 * The sweep role: upserts the four Job Schedulers and runs their jobs. Several may run at once;
 * BullMQ hands each tick's job to one of them, and the database claims keep even a manual run in the
 * same window from sending anything twice.
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../config';
import { assertNoEviction, createRedisConnection } from '../redis/connection';
import { onShutdownSignal, runMain } from '../runtime/main';
import { createSweepDependencies } from '../sweeps/dependencies';
import { SWEEPS } from '../sweeps/registry';
import { runSweep } from '../sweeps/run-sweep';
import { upsertSweepSchedulers } from '../sweeps/schedulers';

runMain(async () => {
  const config = loadConfig();
  const redis = createRedisConnection(config);
  await assertNoEviction(redis);
  await upsertSweepSchedulers(config, redis);
  const deps = createSweepDependencies(config);

  // BullMQ leaves connections it is given open; the role owns and closes them.
  const connections = SWEEPS.map(() => createRedisConnection(config, { blocking: true }));
  const workers = SWEEPS.map(
    (sweep, index) =>
      new Worker(
        sweep.name,
        async (job) => {
          const report = await runSweep(deps, sweep, { trigger: 'schedule', jobId: job.id });
          console.log(
            `sweep-worker: ${sweep.name} run ${report.runId}: claimed ${report.rowsClaimed}, sent ${report.messagesSent}, ` +
              `skipped ${report.rowsSkipped}, deferred ${report.rowsDeferred}, send failures ${report.sendFailures}`,
          );
          return { runId: report.runId, sent: report.messagesSent };
        },
        { connection: connections[index]!, prefix: config.redis.keyPrefix, concurrency: 1 },
      ),
  );
  for (const worker of workers) {
    worker.on('failed', (job, error) => console.error(`sweep-worker: ${job?.name} failed: ${error.message}`));
  }
  console.log(
    `sweep-worker: schedulers upserted (${config.sweeps.timezone}); running ${SWEEPS.map((s) => s.name).join(', ')}`,
  );

  await new Promise<void>((resolve) =>
    onShutdownSignal(async () => {
      console.log('sweep-worker: stopping (finishing running sweeps)');
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all(connections.map((connection) => connection.quit()));
      await deps.close();
      await redis.quit();
      resolve();
    }),
  );
  console.log('sweep-worker: stopped');
});
