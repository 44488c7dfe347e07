/**
 * The service's activities, built as the Temporal worker builds them, over an isolated environment
 * (own database and queues), with a seller seeder for it: for tests that run activities directly.
 */
import type { Activities } from '../../src/activities';
import { createServiceActivities } from '../../src/workers/temporal-worker';
import { SellerSeeder } from '../../scripts/harness/sellers';
import { isolatedEnvironment, type IsolatedEnvironment } from './isolated-env';

export interface ActivityEnvironment {
  t: IsolatedEnvironment;
  activities: Activities;
  sellers: SellerSeeder;
  /** Releases the activities' connections, then the isolated environment. */
  close: () => Promise<void>;
}

export async function activityEnvironment(overrides: NodeJS.ProcessEnv = {}): Promise<ActivityEnvironment> {
  const t = await isolatedEnvironment(overrides);
  const service = createServiceActivities(t.config);
  return {
    t,
    activities: service.activities,
    sellers: new SellerSeeder(t.deps.pool, t.config),
    close: async () => {
      await service.close();
      await t.cleanup();
    },
  };
}
