import { workflowInfo } from '@temporalio/workflow';
import type { Envelope } from '../contracts/envelope';
import { inUpdateBatches } from '../contracts/marketplaces';
import { addStockRepairs, NO_STOCK_REPAIRS, type StockRepairCounts } from '../contracts/stock';
import { database, marketplace } from './activity-options';

/**
 * `inventory.repair` (schedule kind `inventory`): reads every listing of the account back from its
 * marketplace, a batch at a time, and repairs each one that does not show its SKU's
 * `max(available, 0)` with a forced versioned push, recording a drift finding per mismatch (once per
 * run: the message's key names them). Listings still behind their SKU's version are pushed too. A
 * batch that fails is left for the others to go on, then fails the workflow.
 *
 * The repair's push keys carry this run's id: a run that follows a failed one (or a replay) and
 * finds the same drift again must have its push applied, not answered from the first run's.
 */
export async function inventoryRepairWorkflow(envelope: Envelope): Promise<StockRepairCounts> {
  const { accountId, idempotencyKey: runKey } = envelope;
  const { sellerId, marketplace: market, skuIds } = await database.repairTargets(envelope);
  const pushKey = `${runKey}:run-${workflowInfo().runId}`;
  let counts = { ...NO_STOCK_REPAIRS };
  const failures: unknown[] = [];
  for (const batch of inUpdateBatches(skuIds, market)) {
    try {
      counts = addStockRepairs(
        counts,
        await marketplace.repairStock({ sellerId, accountId, skuIds: batch, runKey, pushKey }),
      );
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return counts;
}
