/**
 * What the versioned push and the drift repair answer (src/activities/versioned-push.ts), as plain
 * shapes the workflows read: which listings took which quantity, which the marketplace refused, and
 * the repair's counts.
 */

/** One listing's quantity as sent: computed from the SKU's version `version`. */
export interface PushedQuantity {
  skuId: string;
  /** The SKU as the marketplace knows it. */
  externalId: string;
  quantity: number;
  version: string;
}

export interface RejectedQuantity extends PushedQuantity {
  error: string;
}

export interface StockPushResult {
  pushed: PushedQuantity[];
  /** Listings that already showed their SKU's version: nothing was sent. */
  upToDate: string[];
  /** SKUs the account does not list. */
  unlisted: string[];
  /** Refused by the marketplace for good: the listing keeps what it showed; the caller decides. */
  rejected: RejectedQuantity[];
}

/** A push's refusals as a step's reason: `rejected <external id> (<error>), …`. */
export function rejectionReason(rejected: readonly RejectedQuantity[]): string {
  return `rejected ${rejected.map((r) => `${r.externalId} (${r.error})`).join(', ')}`;
}

export interface StockRepairCounts {
  /** Listings read back and compared. */
  checked: number;
  /** Showing what they should, and recorded as such. */
  matched: number;
  /** Showing something else (drift), pushed the right quantity. */
  repaired: number;
  /** Drifted, and the marketplace refused the repair. */
  repairFailed: number;
  /** Listed by us, unknown to the marketplace. */
  missing: number;
  /** Showing an older version's quantity (its publish still to come), pushed now. */
  caughtUp: number;
  /** Behind, and the marketplace refused the push. */
  rejected: number;
  /** A push landed between the read and the locks: compared by the next run instead. */
  changedMeanwhile: number;
}

export const NO_STOCK_REPAIRS: Readonly<StockRepairCounts> = {
  checked: 0,
  matched: 0,
  repaired: 0,
  repairFailed: 0,
  missing: 0,
  caughtUp: 0,
  rejected: 0,
  changedMeanwhile: 0,
};

export function addStockRepairs(a: StockRepairCounts, b: StockRepairCounts): StockRepairCounts {
  const sum = { ...a };
  for (const key of Object.keys(sum) as (keyof StockRepairCounts)[]) sum[key] += b[key];
  return sum;
}
