/**
 * The metrics role: every METRICS_INTERVAL_SECONDS it samples the sweep queues (BullMQ), every SQS
 * queue and DLQ, and the accounts and sagas that need a person, and publishes them to CloudWatch.
 * One replica is enough (the figures are the same from anywhere); two only double the datums.
 */
import { loadConfig, type Config } from '../config';
import { createPool } from '../db/pool';
import { startHealthServer, type ReadinessChecks } from '../platform/health-server';
import { roleLogger, type Logger } from '../platform/logger';
import { configuredFlusher, createCloudWatchClient, type MetricsFlusher } from '../observability/metrics';
import { postgresReady, redisReady, sqsReady } from '../platform/probes';
import { allSamplers, businessSampler, sqsSampler, sweepSampler } from '../observability/samplers';
import { QUEUES, queueName } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import { createRedisConnection } from '../platform/redis';
import { postgresServer, redisServer, requireServers, sqsServer } from '../platform/startup-checks';
import { onShutdownSignal, runMain } from '../platform/main';
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

export function createMetricsRole(
  config: Config,
  log: Logger,
  { redis, pool, sqs } = openMetricsConnections(config),
): MetricsRole {
  const cloudWatch = createCloudWatchClient(config);
  const sweepQueues = SWEEPS.map((sweep) => sweepQueue(config, redis, sweep));
  const flusher = configuredFlusher(config, {
    cloudWatch,
    log,
    beforeFlush: allSamplers([
      sweepSampler(sweepQueues, pool),
      sqsSampler(new QueueDirectory(sqs, config.queues.prefix), config.queues.prefix),
      businessSampler(pool),
    ]),
  });
  return {
    flusher,
    checks: {
      redis: redisReady(redis),
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

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    const log = roleLogger(config, 'metrics');
    const connections = openMetricsConnections(config);
    // CloudWatch is left out: an outage of it costs figures, never the role.
    await requireServers([
      redisServer(connections.redis),
      postgresServer(connections.pool),
      sqsServer(connections.sqs, queueName(QUEUES[0]!, config.queues.prefix)),
    ]);
    const role = createMetricsRole(config, log, connections);
    const health = await startHealthServer({ port: config.observability.healthPort, checks: role.checks, log });
    await role.flusher.flush();
    role.flusher.start();
    log.info(
      {
        namespace: config.observability.metrics.namespace,
        intervalSeconds: config.observability.metrics.intervalSeconds,
      },
      'metrics-worker: publishing',
    );
    await new Promise<void>((resolve) =>
      onShutdownSignal(async () => {
        log.info('metrics-worker: stopping (publishing what is left)');
        health.markStopping();
        await role.stop();
        await health.close();
        resolve();
      }),
    );
    log.info('metrics-worker: stopped');
  });
}
