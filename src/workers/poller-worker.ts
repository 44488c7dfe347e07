/**
 * The poller role: one poller per queue of the catalogue (or the queues named in POLLER_QUEUES),
 * each starting one Temporal workflow per message. SIGTERM/SIGINT: stop receiving, wait for the
 * workflows in flight up to POLLER_SHUTDOWN_SECONDS, release the rest, exit 0. PostgreSQL holds the
 * completion records and dead letters it writes.
 */
import type { Config } from '../config';
import { MetricsBuffer, configuredFlusher, createCloudWatchClient } from '../observability/metrics';
import { mirrorsSqsMetrics, publishMirror } from '../observability/sqs-mirror';
import type { Logger } from '../platform/logger';
import { postgresReady, sqsReady } from '../platform/probes';
import { findRole } from './roles';
import { runRole, type Role } from '../platform/role';
import { createSqsClient } from '../platform/sqs-client';
import { postgresServer, sqsServer, temporalServer } from '../platform/startup-checks';
import { createPool } from '../db/pool';
import { createLazyTemporalClient } from '../platform/temporal-client';
import { createPoller } from '../pollers/create-pollers';
import { temporalProbe } from '../platform/probes';
import { pollerMetrics } from '../pollers/poller-metrics';
import type { QueuePoller } from '../pollers/queue-poller';
import { findQueue, queueName } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';

export function build(config: Config, log: Logger): Role {
  const { shutdownSeconds } = config.pollers;
  const queues = config.pollers.queueNames.map(findQueue);
  const firstQueue = queueName(queues[0]!, config.queues.prefix);
  const sqs = createSqsClient(config);
  // Completion records and dead letters: a few writes per message, never held across a workflow run.
  const pool = createPool(config, { max: 4, log });
  const client = createLazyTemporalClient(config);
  const temporal = temporalProbe(client, config.temporal.namespace);
  const cloudWatch = createCloudWatchClient(config);
  // Locally the pollers' receives stand in for SQS's own NumberOfMessagesReceived (src/observability/sqs-mirror.ts).
  const mirror = mirrorsSqsMetrics(config) ? new MetricsBuffer() : undefined;
  const metrics = configuredFlusher(config, {
    cloudWatch,
    log,
    afterSample: mirror && publishMirror(cloudWatch, mirror),
  });
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const observe = (_queue: unknown, physicalName: string) =>
    pollerMetrics(metrics.buffer, physicalName, Date.now, mirror);
  let pollers: QueuePoller[] = [];
  let stopping = false;

  return {
    servers: [postgresServer(pool), sqsServer(sqs, firstQueue), temporalServer(temporal)],
    checks: { postgres: postgresReady(pool), sqs: sqsReady(sqs, firstQueue), temporal },
    async run() {
      metrics.start();
      pollers = await Promise.all(
        queues.map((queue) =>
          createPoller(
            { config, sqs, client, pool, directory, settings: config.pollers.overrides, log, observe },
            queue,
          ),
        ),
      );
      // A signal while the pollers were being created: they never start.
      if (stopping) return;
      log.info({ queues: queues.map((q) => q.name) }, `poller-worker: polling ${queues.map((q) => q.name).join(', ')}`);
      await Promise.all(pollers.map((poller) => poller.run()));
    },
    async stop(signal) {
      stopping = true;
      log.info({ signal, shutdownSeconds }, 'poller-worker: stopping (waiting for workflows in flight)');
      await Promise.all(pollers.map((poller) => poller.stop(shutdownSeconds * 1_000)));
    },
    async close() {
      await metrics.stop();
      cloudWatch.destroy();
      sqs.destroy();
      await pool.end();
      await client.connection.close();
    },
  };
}

if (require.main === module) runRole(findRole('poller-worker'), build);
