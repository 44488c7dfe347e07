import { MAX_SKUS_PER_UPDATE } from '../contracts/marketplaces';
import type { Envelope } from '../contracts/envelope';
import { database, marketplace } from './activity-options';
import { chunk, pushListings } from './listing-steps';
import { Saga, type SagaResult } from './saga';

/**
 * At most this many listings per push: Amazon updates one SKU per call, and each call is a few
 * history events; larger catalogues are pushed over several runs of the schedule.
 */
export const MAX_LISTINGS_PER_PUSH = 200;

const FIELDS = ['quantity', 'pricePaise', 'status'] as const;

/**
 * Marketplace push saga: for each batch of the account's listings, snapshot what the marketplace
 * shows, then update quantity, price and status as separate steps. A step that fails for good
 * restores the snapshot's values for every field and SKU already changed, newest first.
 */
export async function marketplacePushWorkflow(envelope: Envelope): Promise<SagaResult> {
  const { accountId, marketplace: market, idempotencyKey: key } = envelope;
  const saga = new Saga('marketplace-push', accountId);
  return saga.run(async () => {
    const desired = await saga.step('load', () =>
      database.desiredListings({ accountId, limit: MAX_LISTINGS_PER_PUSH }),
    );
    for (const [index, batch] of chunk(desired, MAX_SKUS_PER_UPDATE[market]).entries()) {
      const skus = batch.map((listing) => listing.sku);
      const snapshot = await saga.step(`snapshot:${index}`, () =>
        marketplace.readListings({ accountId, marketplace: market, skus }),
      );
      for (const field of FIELDS) {
        await pushListings(saga, {
          step: `${field}:${index}`,
          accountId,
          marketplace: market,
          changes: batch.map((listing) => ({ sku: listing.sku, [field]: listing[field] })),
          previous: snapshot.map((listing) => ({ sku: listing.sku, [field]: listing[field] })),
          idempotencyKey: `${key}:${field}:${index}`,
        });
      }
    }
  });
}
