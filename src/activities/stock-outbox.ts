/**
 * The order and returns syncs' outbox: when a page moved a SKU's available count, the page's
 * transaction claims an `inventory.publish` message for it (docs/inventory.md, "From an order to every
 * listing"), and the activity sends it right after the commit. A send that fails, or a worker that
 * dies before sending, leaves the claim unsent; its lease runs out and the next scheduling tick sends
 * it (src/sweeps/claim-sweeper.ts).
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { IDEMPOTENCY_KEY_PATTERN, newEnvelope, serializeEnvelope } from '../contracts/envelope';
import type { Claim } from '../db/dispatch-claims';
import type { Outbox, StockAccount, StockChange } from '../db/order-stock';
import { queueForMessage } from '../queues/routing';
import type { ActivityDeps } from './activity-deps';

/** The `sweep` the outbox rows are claimed under (dispatch_claims.sweep): who made them. */
export const ORDER_SYNC_CLAIMS = 'order-sync';

/**
 * An announcement's key: `inventory.publish:<seller>:m<movement id>`; for a SKU only the marketplace
 * moved, `inventory.publish:<seller>:v<version>:<SKU id>` (the SKU id hashed when it does not fit a key).
 */
export function publishKey(sellerId: string, change: StockChange): string {
  if (change.movementId !== undefined) return `inventory.publish:${sellerId}:m${change.movementId}`;
  const byVersion = `inventory.publish:${sellerId}:v${change.version}`;
  const plain = `${byVersion}:${change.skuId}`;
  if (IDEMPOTENCY_KEY_PATTERN.test(plain)) return plain;
  return `${byVersion}:h${createHash('sha256').update(change.skuId).digest('hex').slice(0, 32)}`;
}

/**
 * One `inventory.publish` per announced SKU, in the seller's group, keyed by the SKU's newest movement
 * (or, for a SKU only the marketplace moved, by its new version): the same stock change always makes
 * the same key, a later one a new key.
 */
export function publishClaims(account: StockAccount, changes: StockChange[], now: Date): Claim[] {
  const queue = queueForMessage('inventory.publish', account.marketplace).name;
  return changes.map((change) => {
    const idempotencyKey = publishKey(account.sellerId, change);
    const envelope = newEnvelope({
      type: 'inventory.publish',
      accountId: account.accountId,
      sellerId: account.sellerId,
      marketplace: account.marketplace,
      idempotencyKey,
      dueAt: now.toISOString(),
      payload: { skuId: change.skuId, version: change.version },
    });
    return {
      idempotencyKey,
      sweep: ORDER_SYNC_CLAIMS,
      accountId: account.accountId,
      scheduleId: null,
      queue,
      envelope,
      body: serializeEnvelope(envelope),
      slotAt: now,
    };
  });
}

/** The outbox of one page, claimed now with the sweeps' lease. */
export function pageOutbox(deps: ActivityDeps): Outbox {
  const now = new Date();
  return {
    claimsFor: (account, changes) => publishClaims(account, changes, now),
    lease: { seconds: deps.claimLeaseSeconds, now },
  };
}

/**
 * Sends a committed page's outbox rows. A failure is logged, not thrown: the stock has moved and the
 * claims are durable, so retrying the activity would change nothing; the sweep sends them instead.
 */
export async function sendOutbox(deps: ActivityDeps, claims: readonly Claim[]): Promise<void> {
  if (claims.length === 0) return;
  const keys = claims.map((claim) => claim.idempotencyKey);
  try {
    const { failed } = await deps.sendClaims(claims);
    if (failed.length > 0) {
      Context.current().log.warn('outbox: messages not sent; a scheduling tick sends them once their lease ends', {
        failed,
      });
    }
  } catch (error) {
    Context.current().log.warn('outbox: send failed; a scheduling tick sends the messages once their lease ends', {
      keys,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
