/**
 * Listing reads and updates at a marketplace, the versioned push of quantities and the drift repair,
 * and the stock reservations of the inventory-deduct saga.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  commitReservation,
  desiredListings,
  releaseReservation,
  reservationStatus,
  reserveStock,
  type Reservation,
} from '../db/inventory';
import { accountsListingSku, recordDriftFindings, skusListedBy } from '../db/listing-pushes';
import type { ListingChange, ListingState, UpdateOutcome } from '../contracts/marketplace-records';
import type { Envelope } from '../contracts/envelope';
import type { Marketplace } from '../contracts/marketplaces';
import { forAccount, requireActiveAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';
import { requireSellersOwn } from './seller-guard';
import { rejectionReason, type RejectedQuantity } from '../contracts/stock';
import { pushStock, repairStock, type StockPushRequest, type StockRepairRequest } from './versioned-push';

export interface ListingUpdateInput {
  accountId: string;
  marketplace: Marketplace;
  changes: ListingChange[];
  idempotencyKey: string;
}

export interface DeductRequest {
  sellerId: string;
  skuId: string;
  quantity: number;
}

export interface ListingAccount {
  accountId: string;
  marketplace: Marketplace;
}

/** The seller an inventory message names: required on these types, so a message without one is refused. */
function sellerOf(envelope: Envelope, failureType: string): string {
  if (envelope.sellerId === undefined) {
    throw ApplicationFailure.nonRetryable(`${envelope.type} ${envelope.idempotencyKey} names no seller`, failureType);
  }
  return envelope.sellerId;
}

function skuIdOf(payload: Envelope['payload'], failureType: string): string {
  const { skuId } = payload;
  if (typeof skuId !== 'string' || !skuId) {
    throw ApplicationFailure.nonRetryable('the message payload must give skuId (text)', failureType);
  }
  return skuId;
}

function deductRequestFrom(envelope: Envelope): DeductRequest {
  const sellerId = sellerOf(envelope, 'InvalidDeductRequest');
  const { quantity } = envelope.payload;
  if (!Number.isInteger(quantity) || (quantity as number) <= 0) {
    throw ApplicationFailure.nonRetryable(
      'the message payload must give skuId (text) and quantity (a whole number above 0)',
      'InvalidDeductRequest',
    );
  }
  return { sellerId, skuId: skuIdOf(envelope.payload, 'InvalidDeductRequest'), quantity: quantity as number };
}

export function listingActivities(deps: ActivityDeps) {
  const { pool } = deps;
  const update = (input: ListingUpdateInput): Promise<UpdateOutcome> =>
    forAccount(deps, input.accountId, () =>
      deps.marketplaces.clients[input.marketplace].updateListings(input.accountId, input.changes, input.idempotencyKey),
    );
  /** The seller's accounts we can act for that list the SKU; the account and the SKU must be the seller's. */
  const listingAccounts = async (input: {
    sellerId: string;
    accountId: string;
    skuId: string;
  }): Promise<ListingAccount[]> => {
    await requireSellersOwn(deps, { ...input, skuIds: [input.skuId] });
    return accountsListingSku(pool, input.sellerId, input.skuId);
  };
  return {
    /** What to deduct, from the message; its account must be active and the seller's. */
    async loadDeductRequest(envelope: Envelope): Promise<DeductRequest> {
      const request = deductRequestFrom(envelope);
      await requireSellersOwn(deps, { sellerId: request.sellerId, accountId: envelope.accountId });
      await requireActiveAccount(deps, envelope.accountId);
      return request;
    },
    reserveStock: (input: Reservation) => reserveStock(pool, input),
    /**
     * Gives the reservation back. True when it stands released (by this call, or by an earlier attempt
     * whose answer was lost); false when it was never made (a reserve refused) or was committed.
     */
    async releaseReservation(input: { key: string }): Promise<boolean> {
      await releaseReservation(pool, input.key);
      return (await reservationStatus(pool, input.key)) === 'released';
    },
    commitReservation: (input: { key: string }) => commitReservation(pool, input.key),
    listingAccounts,
    /** The SKU an `inventory.publish` names, and the accounts whose listings show it. */
    async publishTargets(envelope: Envelope): Promise<{ skuId: string; accounts: ListingAccount[] }> {
      const sellerId = sellerOf(envelope, 'InvalidPublishRequest');
      const skuId = skuIdOf(envelope.payload, 'InvalidPublishRequest');
      return { skuId, accounts: await listingAccounts({ sellerId, accountId: envelope.accountId, skuId }) };
    },
    /** What an `inventory.repair` reads back: every SKU its account lists, on the account's marketplace. */
    async repairTargets(envelope: Envelope): Promise<{ sellerId: string; marketplace: Marketplace; skuIds: string[] }> {
      const sellerId = sellerOf(envelope, 'InvalidRepairRequest');
      await requireSellersOwn(deps, { sellerId, accountId: envelope.accountId });
      const { marketplace } = await requireActiveAccount(deps, envelope.accountId);
      return { sellerId, marketplace, skuIds: await skusListedBy(pool, envelope.accountId) };
    },
    pushStock: (input: StockPushRequest) => pushStock(deps, input),
    /**
     * The SKU pushed again to every listing of it, computed from PostgreSQL now (never from a
     * snapshot): how a compensation puts listings right. Every account is tried whatever another
     * answers; then the first failure, or the refusals, fail it. A retry finds the listings already
     * pushed up to date and sends them nothing.
     */
    async republishSku(input: { sellerId: string; accountId: string; skuId: string }): Promise<void> {
      const rejected: RejectedQuantity[] = [];
      const failures: unknown[] = [];
      for (const { accountId } of await listingAccounts(input)) {
        try {
          rejected.push(...(await pushStock(deps, { ...input, accountId, skuIds: [input.skuId] })).rejected);
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw failures[0];
      if (rejected.length > 0) throw ApplicationFailure.nonRetryable(rejectionReason(rejected), 'PushRejected');
    },
    repairStock: (input: StockRepairRequest) => repairStock(deps, input),
    /** Listings a publish could not update: findings for the SRE, under the message's key. */
    recordPushRejections: (input: {
      runKey: string;
      sellerId: string;
      accountId: string;
      rejected: RejectedQuantity[];
    }) =>
      recordDriftFindings(
        pool,
        input.rejected.map((rejection) => ({
          runKey: input.runKey,
          sellerId: input.sellerId,
          accountId: input.accountId,
          skuId: rejection.skuId,
          externalId: rejection.externalId,
          marketplaceQuantity: null,
          expectedQuantity: rejection.quantity,
          outcome: 'repair_failed',
          detail: rejection.error,
        })),
      ),
    desiredListings: (input: { accountId: string; limit: number; afterSku?: string }) =>
      forAccount(deps, input.accountId, () => desiredListings(pool, input.accountId, input.limit, input.afterSku)),

    readListings: (input: { accountId: string; marketplace: Marketplace; skus: string[] }): Promise<ListingState[]> =>
      forAccount(deps, input.accountId, () =>
        deps.marketplaces.clients[input.marketplace].readListings(input.accountId, input.skus),
      ),
    /** Per-SKU results: the workflow decides what a partial failure means for its saga. */
    updateListings: update,
    /** A saga's compensation: every SKU must take its old values back, or the compensation failed. */
    async restoreListings(input: ListingUpdateInput): Promise<void> {
      const { failed } = await update(input);
      if (failed.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `restore rejected for ${failed.map((f) => `${f.sku} (${f.error})`).join(', ')}`,
          'RestoreRejected',
        );
      }
    },
  };
}
