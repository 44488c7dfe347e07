import type { Config } from '../config';
import { createPool } from '../db/pool';
import { roleLogger, type Logger } from '../platform/logger';
import { QUEUES } from '../queues/catalogue';
import { QueueDirectory } from '../queues/queue-urls';
import { createSqsClient } from '../platform/sqs-client';
import type { SweepDependencies } from './run-sweep';

/** Sweep pages overlap (claim the next while sending this one), so a pool of a few connections. */
export function createSweepDependencies(
  config: Config,
  log: Logger = roleLogger(config, 'sweeper'),
): SweepDependencies & { close: () => Promise<void> } {
  const pool = createPool(config, { max: 4 });
  const sqs = createSqsClient(config);
  return {
    config,
    pool,
    sqs,
    queues: new QueueDirectory(sqs, config.queues.prefix),
    catalogue: QUEUES,
    log,
    close: async () => {
      sqs.destroy();
      await pool.end();
    },
  };
}
