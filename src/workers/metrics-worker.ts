/**
 * The metrics role: every METRICS_INTERVAL_SECONDS it samples the sweep queues (BullMQ), every SQS
 * queue and DLQ, and the accounts and sagas that need a person, and publishes them to CloudWatch.
 * One replica is enough (the figures are the same from anywhere); two only double the datums.
 */
import { Queue } from 'bullmq';
import { loadConfig, type Config } from '../config';
import { createPool } from '../db/pool';
import { roleLogger, type Logger } from '../observability/logger';
import { MetricsFlusher, createCloudWatchClient } from '../observability/metrics';
import { allSamplers, businessSampler, sqsSampler, sweepSampler } from '../observability/samplers';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../queues/sqs-client';
import { createRedisConnection } from '../redis/connection';
import { onShutdownSignal, runMain } from '../runtime/main';
import { SWEEPS } from '../sweeps/registry';

export interface MetricsRole {
  flusher: MetricsFlusher;
  stop: () => Promise<void>;
}

export function createMetricsRole(config: Config, log: Logger): MetricsRole {
  const redis = createRedisConnection(config);
  const pool = createPool(config, { max: 2 });
  const sqs = createSqsClient(config);
  const cloudWatch = createCloudWatchClient(config);
  const sweepQueues = SWEEPS.map(
    (sweep) => new Queue(sweep.name, { connection: redis, prefix: config.redis.keyPrefix }),
  );
  const flusher = new MetricsFlusher({
    cloudWatch,
    namespace: config.observability.metrics.namespace,
    intervalMs: config.observability.metrics.intervalSeconds * 1_000,
    log,
    beforeFlush: allSamplers([
      sweepSampler(sweepQueues, pool),
      sqsSampler(sqs, new QueueDirectory(sqs, config.queues.prefix), config.queues.prefix),
      businessSampler(pool),
    ]),
  });
  return {
    flusher,
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
    const role = createMetricsRole(config, log);
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
        await role.stop();
        resolve();
      }),
    );
    log.info('metrics-worker: stopped');
  });
}
