import type { Envelope } from '../contracts/envelope';
import type { RejectedQuantity } from '../contracts/stock';
import { MARKETPLACE_NAMES } from '../contracts/marketplaces';
import { database, marketplace, withSummary } from './activity-options';

export interface PublishResult {
  skuId: string;
  /** Listings that took the SKU's quantity now. */
  pushed: number;
  /** Listings that already showed the SKU's version (a newer push got there first). */
  upToDate: number;
  /** Listings the marketplace refused for good, each recorded as a drift finding. */
  rejected: (RejectedQuantity & { accountId: string })[];
}

/**
 * `inventory.publish`: a SKU's stock changed (an order, a cancellation, a return); a versioned push
 * of it to each of its listings on the seller's active accounts. A listing the marketplace refuses
 * for good is recorded (`drift_findings`, outcome `repair_failed`, under the message's key) and does
 * not hold up the others; a push whose retries are spent, or that its account's state refuses, is
 * tried for every other account first, then fails the workflow (the poller's budget, or parking,
 * then applies; a re-run skips the listings already showing the version).
 */
export async function inventoryPublishWorkflow(envelope: Envelope): Promise<PublishResult> {
  const targets = `find the listings of SKU ${String(envelope.payload.skuId ?? '(none given)')}`;
  const { skuId, accounts } = await withSummary(database.publishTargets, targets, envelope);
  const sellerId = envelope.sellerId!;
  const result: PublishResult = { skuId, pushed: 0, upToDate: 0, rejected: [] };
  const failures: unknown[] = [];
  for (const [index, { accountId, marketplace: market }] of accounts.entries()) {
    const where = `${MARKETPLACE_NAMES[market]} account ${accountId}`;
    try {
      const summary = `push SKU ${skuId} quantity to ${where} (${index + 1}/${accounts.length})`;
      const pushed = await withSummary(marketplace.pushStock, summary, { sellerId, accountId, skuIds: [skuId] });
      result.pushed += pushed.pushed.length;
      result.upToDate += pushed.upToDate.length;
      if (pushed.rejected.length === 0) continue;
      await withSummary(database.recordPushRejections, `record what ${where} refused for SKU ${skuId}`, {
        runKey: envelope.idempotencyKey,
        sellerId,
        accountId,
        rejected: pushed.rejected,
      });
      result.rejected.push(...pushed.rejected.map((rejection) => ({ ...rejection, accountId })));
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return result;
}
