/**
 * The poller role: one poller per queue of the catalogue (or the queues named in POLLER_QUEUES),
 * each starting one Temporal workflow per message. SIGTERM/SIGINT: stop receiving, wait for the
 * workflows in flight up to POLLER_SHUTDOWN_SECONDS, release the rest, exit 0.
 */
import { loadConfig } from '../config';
import { startHealthServer } from '../platform/health-server';
import { roleLogger } from '../platform/logger';
import { sqsReady } from '../platform/probes';
import { configuredFlusher, createCloudWatchClient } from '../observability/metrics';
import { createPoller, temporalProbe } from '../pollers/create-pollers';
import { pollerMetrics } from '../pollers/poller-metrics';
import { findQueue, queueName } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import { requireServers, sqsServer, temporalServer } from '../platform/startup-checks';
import { onShutdownSignal, runMain } from '../platform/main';
import { createLazyTemporalClient } from '../platform/temporal-client';

runMain(async () => {
  const config = loadConfig();
  const log = roleLogger(config, 'poller');
  const { shutdownSeconds } = config.pollers;
  const queues = config.pollers.queueNames.map(findQueue);
  const sqs = createSqsClient(config);
  const client = createLazyTemporalClient(config);
  const temporal = temporalProbe(client, config.temporal.namespace);
  await requireServers([sqsServer(sqs, queueName(queues[0]!, config.queues.prefix)), temporalServer(temporal)]);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const health = await startHealthServer({
    port: config.observability.healthPort,
    checks: {
      sqs: sqsReady(sqs, queueName(queues[0]!, config.queues.prefix)),
      temporal,
    },
    log,
  });
  const cloudWatch = createCloudWatchClient(config);
  const metrics = configuredFlusher(config, { cloudWatch, log }).start();
  const observe = (_queue: unknown, physicalName: string) => pollerMetrics(metrics.buffer, physicalName);
  const pollers = await Promise.all(
    queues.map((queue) =>
      createPoller({ config, sqs, client, directory, settings: config.pollers.overrides, log, observe }, queue),
    ),
  );

  onShutdownSignal(async (signal) => {
    log.info({ signal, shutdownSeconds }, 'poller-worker: stopping (waiting for workflows in flight)');
    health.markStopping();
    await Promise.all(pollers.map((poller) => poller.stop(shutdownSeconds * 1_000)));
    await metrics.stop();
    cloudWatch.destroy();
    sqs.destroy();
    await client.connection.close();
    await health.close();
    log.info('poller-worker: stopped');
    process.exit(0);
  });
  log.info({ queues: queues.map((q) => q.name) }, `poller-worker: polling ${queues.map((q) => q.name).join(', ')}`);
  await Promise.all(pollers.map((poller) => poller.run()));
});
