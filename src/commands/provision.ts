/** `npm run provision`: creates or updates every queue of the inventory. Safe to run on every deploy. */
import { loadConfig, type Config } from '../config';
import { createSqsClient } from '../queues/sqs-client';
import { provisionQueues, type ProvisionedQueue } from '../queues/provision';
import { runMain } from '../runtime/main';

export async function provision(config: Config): Promise<ProvisionedQueue[]> {
  const sqs = createSqsClient(config);
  try {
    return await provisionQueues(sqs, config.queues.prefix);
  } finally {
    sqs.destroy();
  }
}

if (require.main === module) {
  runMain(async () => {
    const provisioned = await provision(loadConfig());
    for (const { url, dlqUrl } of provisioned) console.log(`${url}  (DLQ ${dlqUrl})`);
    console.log(`provisioned ${provisioned.length} queues, each with its DLQ`);
  });
}
