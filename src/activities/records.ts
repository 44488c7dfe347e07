import { recordReconciliation } from '../db/marketplace-data';
import { recordSagaRun, type SagaRun } from '../db/saga-runs';
import { forAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';

/** Bookkeeping activities: how a saga ended, and reconciliation (PostgreSQL only). */
export function recordActivities(deps: ActivityDeps) {
  return {
    recordSagaRun: (run: SagaRun) => recordSagaRun(deps.pool, run),
    reconcileOrders: (input: { accountId: string; runKey: string }) =>
      forAccount(deps, input.accountId, () => recordReconciliation(deps.pool, input.accountId, input.runKey)),
  };
}
