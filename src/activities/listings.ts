/** Listing reads and updates at a marketplace, and the stock reservations of the catalogue saga. */
import { ApplicationFailure } from '@temporalio/common';
import { commitReservation, desiredListings, listingsOfSku, releaseReservation, reserveStock } from '../db/inventory';
import type { ListingChange, ListingState, UpdateOutcome } from '../contracts/marketplace-records';
import type { Envelope } from '../contracts/envelope';
import type { Marketplace } from '../contracts/marketplaces';
import { forAccount, requireActiveAccount } from './account-guard';
import type { ActivityDeps } from './activity-deps';

export interface ListingUpdateInput {
  accountId: string;
  marketplace: Marketplace;
  changes: ListingChange[];
  idempotencyKey: string;
}

export interface DeductRequest {
  skuId: string;
  quantity: number;
}

/** A schedule id (bigserial) as text; 18 digits stay within bigint. */
const SCHEDULE_ID = /^[1-9]\d{0,17}$/;

function deductRequestFrom(source: Record<string, unknown>, where: string): DeductRequest {
  const { skuId, quantity } = source;
  if (typeof skuId !== 'string' || !skuId || !Number.isInteger(quantity) || (quantity as number) <= 0) {
    throw ApplicationFailure.nonRetryable(
      `${where} must give skuId (text) and quantity (a whole number above 0)`,
      'InvalidDeductRequest',
    );
  }
  return { skuId, quantity: quantity as number };
}

export function listingActivities(deps: ActivityDeps) {
  const { pool } = deps;
  const update = (input: ListingUpdateInput): Promise<UpdateOutcome> =>
    forAccount(deps, input.accountId, () =>
      deps.marketplaces.clients[input.marketplace].updateListings(input.accountId, input.changes, input.idempotencyKey),
    );
  return {
    /** What to deduct: from the message itself, or from the schedule that sent it. */
    async loadDeductRequest(envelope: Envelope): Promise<DeductRequest> {
      await requireActiveAccount(deps, envelope.accountId);
      if (envelope.payload.skuId !== undefined) return deductRequestFrom(envelope.payload, 'the message payload');
      const scheduleId = String(envelope.payload.scheduleId ?? '');
      // schedules.id is a bigint: PostgreSQL would refuse anything else, and retrying cannot help.
      if (!SCHEDULE_ID.test(scheduleId)) {
        throw ApplicationFailure.nonRetryable(
          `scheduleId ${JSON.stringify(envelope.payload.scheduleId ?? null)} is not a schedule id`,
          'InvalidDeductRequest',
        );
      }
      const { rows } = await pool.query<{ payload: Record<string, unknown> }>(
        'SELECT payload FROM schedules WHERE id = $1 AND account_id = $2',
        [scheduleId, envelope.accountId],
      );
      if (!rows[0]) {
        throw ApplicationFailure.nonRetryable(
          `no schedule ${String(envelope.payload.scheduleId)} for account ${envelope.accountId}`,
          'InvalidDeductRequest',
        );
      }
      return deductRequestFrom(rows[0].payload, `schedule ${String(envelope.payload.scheduleId)}'s payload`);
    },
    reserveStock: (input: { key: string; accountId: string; skuId: string; quantity: number }) =>
      reserveStock(pool, input),
    releaseReservation: (input: { key: string }) => releaseReservation(pool, input.key),
    commitReservation: (input: { key: string }) => commitReservation(pool, input.key),
    listingsOfSku: (input: { skuId: string }) => listingsOfSku(pool, input.skuId),
    desiredListings: (input: { accountId: string; limit: number }) =>
      forAccount(deps, input.accountId, () => desiredListings(pool, input.accountId, input.limit)),

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
