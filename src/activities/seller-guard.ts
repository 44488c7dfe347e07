import { ApplicationFailure } from '@temporalio/common';
import { ACCOUNT_FAILURES, SELLER_FAILURES } from '../contracts/failures';
import { ownersOf } from '../db/listing-pushes';
import type { ActivityDeps } from './activity-deps';

/**
 * Refuses, for good, work that would touch what is not the seller's: an account of another seller,
 * a SKU of another seller's catalogue (or none at all). No retry or replay can make either the
 * seller's, so the refusal is non-retryable, and its reason names both sides. `sellerId` undefined:
 * the account's own seller (work that names only the account); returns the seller the work is for.
 */
export async function requireSellersOwn(
  deps: Pick<ActivityDeps, 'pool'>,
  { sellerId, accountId, skuIds = [] }: { sellerId?: string; accountId: string; skuIds?: readonly string[] },
): Promise<string> {
  const { accountSeller, skuSellers } = await ownersOf(deps.pool, accountId, skuIds);
  if (accountSeller === undefined) {
    throw ApplicationFailure.nonRetryable(`account ${accountId} does not exist`, ACCOUNT_FAILURES.unknown);
  }
  const seller = sellerId ?? accountSeller;
  if (accountSeller !== seller) {
    throw ApplicationFailure.nonRetryable(
      `account ${accountId} is not seller ${seller}'s (it is seller ${accountSeller}'s)`,
      SELLER_FAILURES.foreignAccount,
    );
  }
  for (const skuId of skuIds) {
    const owner = skuSellers.get(skuId);
    if (owner === undefined) {
      throw ApplicationFailure.nonRetryable(`SKU ${JSON.stringify(skuId)} does not exist`, SELLER_FAILURES.unknownSku);
    }
    if (owner !== seller) {
      throw ApplicationFailure.nonRetryable(
        `SKU ${JSON.stringify(skuId)} is not seller ${seller}'s`,
        SELLER_FAILURES.foreignSku,
      );
    }
  }
  return seller;
}
