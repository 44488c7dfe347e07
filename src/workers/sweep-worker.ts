/**
 * The sweep role: upserts the four Job Schedulers and runs their jobs. Several may run at once;
 * BullMQ hands each tick's job to one of them, and the database claims keep even a manual run in the
 * same window from sending anything twice.
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../config';
import { startHealthServer } from '../platform/health-server';
import { roleLogger } from '../platform/logger';
import { postgresReady, redisReady } from '../platform/probes';
import { assertNoEviction, createRedisConnection } from '../platform/redis';
import { postgresServer, redisServer, requireServers } from '../platform/startup-checks';
import { onShutdownSignal, runMain } from '../platform/main';
import { createSweepDependencies } from '../sweeps/sweep-dependencies';
import { SWEEPS } from '../sweeps/registry';
import { runSweep } from '../sweeps/run-sweep';
import { upsertSweepSchedulers } from '../sweeps/schedulers';

runMain(async () => {
  const config = loadConfig();
  const log = roleLogger(config, 'sweeper');
  const redis = createRedisConnection(config);
  const deps = createSweepDependencies(config, log);
  await requireServers([redisServer(redis), postgresServer(deps.pool)]);
  await assertNoEviction(redis);
  await upsertSweepSchedulers(config, redis);
  const health = await startHealthServer({
    port: config.observability.healthPort,
    checks: { redis: redisReady(redis), postgres: postgresReady(deps.pool) },
    log,
  });

  // BullMQ leaves connections it is given open; the role owns and closes them.
  const connections = SWEEPS.map(() => createRedisConnection(config, { blocking: true }));
  const workers = SWEEPS.map(
    (sweep, index) =>
      new Worker(
        sweep.name,
        async (job) => {
          const report = await runSweep(deps, sweep, { trigger: 'schedule', jobId: job.id });
          const { runId, rowsClaimed, messagesSent, rowsSkipped, rowsDeferred, sendFailures } = report;
          log.info(
            { sweep: sweep.name, runId, rowsClaimed, messagesSent, rowsSkipped, rowsDeferred, sendFailures },
            'sweep run finished',
          );
          return { runId: report.runId, sent: report.messagesSent };
        },
        { connection: connections[index]!, prefix: config.redis.keyPrefix, concurrency: 1 },
      ),
  );
  for (const worker of workers) {
    worker.on('failed', (job, error) =>
      log.error({ sweep: worker.name, jobId: job?.id, err: error }, 'sweep run failed'),
    );
  }
  log.info(
    { timezone: config.sweeps.timezone, sweeps: SWEEPS.map((s) => s.name) },
    'sweep-worker: schedulers upserted; running the sweeps',
  );

  await new Promise<void>((resolve) =>
    onShutdownSignal(async () => {
      log.info('sweep-worker: stopping (finishing running sweeps)');
      health.markStopping();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all(connections.map((connection) => connection.quit()));
      await deps.close();
      await redis.quit();
      await health.close();
      resolve();
    }),
  );
  log.info('sweep-worker: stopped');
});
