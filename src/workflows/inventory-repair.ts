import { workflowInfo } from '@temporalio/workflow';
import type { Envelope } from '../contracts/envelope';
import { addStockRepairs, NO_STOCK_REPAIRS, type StockRepairCounts } from '../contracts/stock';
import { MARKETPLACE_NAMES, inUpdateBatches } from '../contracts/marketplaces';
import { database, marketplace, withSummary } from './activity-options';

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
  const targets = `find the listings of account ${accountId}`;
  const { sellerId, marketplace: market, skuIds } = await withSummary(database.repairTargets, targets, envelope);
  const pushKey = `${runKey}:run-${workflowInfo().runId}`;
  let counts = { ...NO_STOCK_REPAIRS };
  const failures: unknown[] = [];
  const batches = inUpdateBatches(skuIds, market);
  for (const [index, batch] of batches.entries()) {
    const summary = `read back and repair batch ${index + 1}/${batches.length} on ${MARKETPLACE_NAMES[market]} (${batch.length} SKUs)`;
    try {
      const repair = { sellerId, accountId, skuIds: batch, runKey, pushKey };
      counts = addStockRepairs(counts, await withSummary(marketplace.repairStock, summary, repair));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return counts;
}
