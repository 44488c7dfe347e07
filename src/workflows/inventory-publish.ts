import type { Envelope } from '../contracts/envelope';
import type { RejectedQuantity } from '../contracts/stock';
import { database, marketplace } from './activity-options';

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
  const { skuId, accounts } = await database.publishTargets(envelope);
  const sellerId = envelope.sellerId!;
  const result: PublishResult = { skuId, pushed: 0, upToDate: 0, rejected: [] };
  const failures: unknown[] = [];
  for (const { accountId } of accounts) {
    try {
      const pushed = await marketplace.pushStock({ sellerId, accountId, skuIds: [skuId] });
      result.pushed += pushed.pushed.length;
      result.upToDate += pushed.upToDate.length;
      if (pushed.rejected.length === 0) continue;
      await database.recordPushRejections({
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
