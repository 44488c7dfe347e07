/**
 * The poller role: one poller per queue of the inventory (or the queues named in POLLER_QUEUES),
 * each starting one Temporal workflow per message. SIGTERM/SIGINT: stop receiving, wait for the
 * workflows in flight up to POLLER_SHUTDOWN_SECONDS, release the rest, exit 0.
 */
import { loadConfig } from '../config';
import { createPoller } from '../pollers/create-pollers';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../queues/sqs-client';
import { onShutdownSignal, runMain } from '../runtime/main';
import { createTemporalClient } from '../temporal/client';

runMain(async () => {
  const config = loadConfig();
  const { queues, shutdownSeconds } = config.pollers;
  const sqs = createSqsClient(config);
  const client = await createTemporalClient(config);
  const directory = new QueueDirectory(sqs, config.queues.prefix);
  const pollers = await Promise.all(
    queues.map((queue) => createPoller({ config, sqs, client, directory, settings: config.pollers.overrides }, queue)),
  );

  onShutdownSignal(async (signal) => {
    console.log(`poller-worker: ${signal}: stopping (waiting up to ${shutdownSeconds} s for workflows in flight)`);
    await Promise.all(pollers.map((poller) => poller.stop(shutdownSeconds * 1_000)));
    sqs.destroy();
    await client.connection.close();
    console.log('poller-worker: stopped');
    process.exit(0);
  });
  console.log(`poller-worker: polling ${queues.map((q) => q.name).join(', ')}`);
  await Promise.all(pollers.map((poller) => poller.run()));
});
