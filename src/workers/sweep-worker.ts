/**
 * The sweep role: upserts the four Job Schedulers, keeps them there (re-created within seconds if
 * Redis loses them; /readyz fails while one stays missing), and runs their jobs. Several may run at once;
 * BullMQ hands each tick's job to one of them, and the database claims keep even a manual run in the
 * same window from sending anything twice.
 */
import { Worker } from 'bullmq';
import type { RedisConnection } from '../platform/redis';
import type { Config } from '../config';
import type { Logger } from '../platform/logger';
import { postgresReady, redisReady } from '../platform/probes';
import { assertNoEviction, createRedisConnection, failoverRideOutMs } from '../platform/redis';
import { findRole } from './roles';
import { runRole, untilStopped, type Role } from '../platform/role';
import { postgresServer, redisServer } from '../platform/startup-checks';
import { SWEEPS } from '../sweeps/registry';
import { runSweep } from '../sweeps/run-sweep';
import { guardSweepSchedulers, upsertSweepSchedulers, type SchedulerGuard } from '../sweeps/schedulers';
import { createSweepDependencies } from '../sweeps/sweep-dependencies';

export function build(config: Config, log: Logger): Role {
  const redis = createRedisConnection(config);
  const deps = createSweepDependencies(config, log);
  // BullMQ leaves connections it is given open; the role owns and closes them.
  let connections: RedisConnection[] = [];
  let workers: Worker[] = [];
  let guard: SchedulerGuard | undefined;
  const lifetime = untilStopped();

  const sweepWorker = (sweep: (typeof SWEEPS)[number], connection: RedisConnection) =>
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
      { connection, prefix: config.redis.keyPrefix, concurrency: 1 },
    );

  return {
    servers: [redisServer(redis, failoverRideOutMs(config)), postgresServer(deps.pool)],
    async prepare() {
      await assertNoEviction(redis);
      await upsertSweepSchedulers(config, redis);
      guard = guardSweepSchedulers(config, redis, log);
    },
    checks: {
      redis: redisReady(redis, failoverRideOutMs(config)),
      postgres: postgresReady(deps.pool),
      schedulers: () => guard!.ready(),
    },
    async run() {
      connections = SWEEPS.map(() => createRedisConnection(config, { blocking: true }));
      workers = SWEEPS.map((sweep, index) => sweepWorker(sweep, connections[index]!));
      for (const worker of workers) {
        worker.on('failed', (job, error) =>
          log.error({ sweep: worker.name, jobId: job?.id, err: error }, 'sweep run failed'),
        );
      }
      log.info(
        { timezone: config.sweeps.timezone, sweeps: SWEEPS.map((s) => s.name) },
        'sweep-worker: schedulers upserted; running the sweeps',
      );
      await lifetime.stopped;
    },
    async stop() {
      log.info('sweep-worker: stopping (finishing running sweeps)');
      await guard?.stop();
      await Promise.all(workers.map((worker) => worker.close()));
      lifetime.release();
    },
    async close() {
      await Promise.all(connections.map((connection) => connection.quit()));
      await deps.close();
      await redis.quit();
    },
  };
}

if (require.main === module) runRole(findRole('sweep-worker'), build);
