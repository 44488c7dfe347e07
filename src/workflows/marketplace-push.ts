import { inUpdateBatches } from '../contracts/marketplaces';
import type { Envelope } from '../contracts/envelope';
import { rejectionReason } from '../contracts/stock';
import { database, marketplace } from './activity-options';
import { pushListings } from './listing-steps';
import { Saga, SagaStepFailed, runScope, type SagaResult } from './saga';

/**
 * At most this many listings per push: Amazon updates one SKU per call, and each call is a few
 * history events; larger catalogues are pushed over several runs of the schedule.
 */
export const MAX_LISTINGS_PER_PUSH = 200;

/** The fields pushed from the listing rows, snapshot-and-restore; quantity follows stock instead. */
const FIELDS = ['pricePaise', 'status'] as const;

/**
 * Marketplace push saga: for each batch of the account's listings, snapshot what the marketplace
 * shows, then the quantities by the versioned push (computed from stock at the time, so they need no
 * undo and can never overwrite a newer push), then price and status as separate steps. A step that
 * fails for good restores the snapshot's price and status for every SKU already changed, newest first.
 */
export async function marketplacePushWorkflow(envelope: Envelope): Promise<SagaResult> {
  const { accountId, sellerId, marketplace: market, idempotencyKey: key } = envelope;
  const saga = new Saga('marketplace-push', accountId);
  return saga.run(async () => {
    const desired = await saga.step('load', () =>
      database.desiredListings({ accountId, limit: MAX_LISTINGS_PER_PUSH }),
    );
    for (const [index, batch] of inUpdateBatches(desired, market).entries()) {
      const skus = batch.map((listing) => listing.sku);
      const snapshot = await saga.step(`snapshot:${index}`, () =>
        marketplace.readListings({ accountId, marketplace: market, skus }),
      );
      const quantityStep = `quantity:${index}`;
      const quantities = await saga.step(quantityStep, () =>
        marketplace.pushStock({ sellerId, accountId, skuIds: batch.map((listing) => listing.skuId) }),
      );
      if (quantities.rejected.length > 0) throw new SagaStepFailed(quantityStep, rejectionReason(quantities.rejected));
      for (const field of FIELDS) {
        await pushListings(saga, {
          step: `${field}:${index}`,
          accountId,
          marketplace: market,
          changes: batch.map((listing) => ({ sku: listing.sku, [field]: listing[field] })),
          previous: snapshot.map((listing) => ({ sku: listing.sku, [field]: listing[field] })),
          idempotencyKey: `${key}:${field}:${index}`,
          // The run's own keys: a second run of the message must apply its changes, not be answered from the first's.
          runScope: runScope(),
        });
      }
    }
  });
}
