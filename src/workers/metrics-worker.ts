/**
 * The metrics role: every METRICS_INTERVAL_SECONDS it samples the sweep queues (BullMQ), every SQS
 * queue and DLQ, the accounts, sagas and stock that need a person, and publishes them to CloudWatch.
 * One replica is enough (the figures are the same from anywhere); two only double the datums.
 */
import type { Config } from '../config';
import { createPool } from '../db/pool';
import type { ReadinessChecks } from '../platform/health-server';
import type { Logger } from '../platform/logger';
import { configuredFlusher, createCloudWatchClient, type MetricsFlusher } from '../observability/metrics';
import { postgresReady, redisReady, sqsReady } from '../platform/probes';
import { allSamplers, businessSampler, sqsSampler, sweepSampler } from '../observability/samplers';
import { SqsMirror, mirrorsSqsMetrics, publishMirror } from '../observability/sqs-mirror';
import { QUEUES, queueName } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import { createRedisConnection, failoverRideOutMs } from '../platform/redis';
import { postgresServer, redisServer, sqsServer } from '../platform/startup-checks';
import { findRole } from './roles';
import { runRole, untilStopped, type Role } from '../platform/role';
import { SWEEPS } from '../sweeps/registry';
import { sweepQueue } from '../sweeps/schedulers';

export interface MetricsRole {
  flusher: MetricsFlusher;
  checks: ReadinessChecks;
  stop: () => Promise<void>;
}

/** The servers the role reads: opened first, so start-up can check them before anything uses them. */
export function openMetricsConnections(config: Config) {
  return {
    redis: createRedisConnection(config),
    pool: createPool(config, { max: 2 }),
    sqs: createSqsClient(config),
  };
}

/**
 * `now` stamps the datums (tests move it to a window of their own). With `SQS_ENDPOINT` set (a local
 * SQS server) the role also mirrors the queue figures the alarms watch under `AWS/SQS`.
 */
export function createMetricsRole(
  config: Config,
  log: Logger,
  { redis, pool, sqs } = openMetricsConnections(config),
  { now }: { now?: () => Date } = {},
): MetricsRole {
  const cloudWatch = createCloudWatchClient(config);
  const sweepQueues = SWEEPS.map((sweep) => sweepQueue(config, redis, sweep));
  const mirror = mirrorsSqsMetrics(config) ? new SqsMirror(config) : undefined;
  const flusher = configuredFlusher(config, {
    cloudWatch,
    log,
    now,
    beforeFlush: allSamplers([
      sweepSampler(sweepQueues, pool),
      sqsSampler(new QueueDirectory(sqs, config.queues.prefix), config.queues.prefix, mirror, now),
      businessSampler(pool),
    ]),
    afterSample: mirror && publishMirror(cloudWatch, mirror.buffer),
  });
  return {
    flusher,
    checks: {
      redis: redisReady(redis, failoverRideOutMs(config)),
      postgres: postgresReady(pool),
      sqs: sqsReady(sqs, queueName(QUEUES[0]!, config.queues.prefix)),
    },
    stop: async () => {
      await flusher.stop();
      await Promise.all(sweepQueues.map((queue) => queue.close()));
      await redis.quit();
      await pool.end();
      sqs.destroy();
      cloudWatch.destroy();
    },
  };
}

/** The role's life: the servers it reads are checked first, CloudWatch is left out (an outage of it costs figures, never the role). */
export function build(config: Config, log: Logger): Role {
  const connections = openMetricsConnections(config);
  let role: MetricsRole | undefined;
  const lifetime = untilStopped();
  const { redis, pool, sqs } = connections;
  return {
    servers: [
      redisServer(redis, failoverRideOutMs(config)),
      postgresServer(pool),
      sqsServer(sqs, queueName(QUEUES[0]!, config.queues.prefix)),
    ],
    async prepare() {
      role = createMetricsRole(config, log, connections);
    },
    get checks() {
      return role!.checks;
    },
    async run() {
      await role!.flusher.flush();
      role!.flusher.start();
      log.info(
        {
          namespace: config.observability.metrics.namespace,
          intervalSeconds: config.observability.metrics.intervalSeconds,
        },
        'metrics-worker: publishing',
      );
      await lifetime.stopped;
    },
    async stop() {
      log.info('metrics-worker: stopping (publishing what is left)');
      lifetime.release();
    },
    async close() {
      await role?.stop();
    },
  };
}

if (require.main === module) runRole(findRole('metrics-worker'), build);
