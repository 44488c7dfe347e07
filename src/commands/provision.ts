/**
 * `npm run provision`: creates or updates every queue of the catalogue, then the CloudWatch alarms
 * and dashboard that watch them. Safe to run on every deploy.
 */
import { loadConfig, type Config } from '../config';
import { createCloudWatchClient } from '../observability/metrics';
import { provisionMonitoring, type ProvisionedMonitoring } from '../observability/provision-monitoring';
import { createSqsClient } from '../platform/sqs-client';
import { provisionQueues, type ProvisionedQueue } from '../queues/provision';
import { requireServers, sqsServer } from '../platform/startup-checks';
import { runMain } from '../platform/main';

export interface Provisioned extends ProvisionedMonitoring {
  queues: ProvisionedQueue[];
}

export async function provision(config: Config): Promise<Provisioned> {
  const sqs = createSqsClient(config);
  const cloudWatch = createCloudWatchClient(config);
  try {
    const queues = await provisionQueues(sqs, config.queues.prefix);
    return { queues, ...(await provisionMonitoring(cloudWatch, config)) };
  } finally {
    sqs.destroy();
    cloudWatch.destroy();
  }
}

if (require.main === module) {
  runMain(async () => {
    const config = loadConfig();
    const sqs = createSqsClient(config);
    await requireServers([sqsServer(sqs)]);
    sqs.destroy();
    const { queues, alarms, dashboard } = await provision(config);
    for (const { url, dlqUrl } of queues) console.log(`${url}  (DLQ ${dlqUrl})`);
    console.log(
      `provisioned ${queues.length} queues, each with its DLQ; ${alarms.length} alarms; dashboard ${dashboard}`,
    );
  });
}
