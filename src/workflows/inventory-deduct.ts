import type { Envelope } from '../contracts/envelope';
import { compensations, database } from './activity-options';
import { pushListings } from './listing-steps';
import { Saga, type SagaResult } from './saga';

/**
 * Inventory deduct saga: reserve the stock in PostgreSQL → push the new available quantity to every
 * marketplace listing the SKU → commit the reservation. A push that fails for good puts the previous
 * quantities back on the listings already updated and releases the reservation, in reverse order.
 * The commit is the saga's last step and only retries: once every marketplace shows the new
 * quantity, the deduction must be recorded, not undone.
 */
export async function inventoryDeductWorkflow(envelope: Envelope): Promise<SagaResult> {
  const { accountId, idempotencyKey: key } = envelope;
  const saga = new Saga('inventory-deduct', accountId);
  return saga.run(async () => {
    const { skuId, quantity } = await saga.step('load', () => database.loadDeductRequest(envelope));
    const { available } = await saga.step('reserve', () => database.reserveStock({ key, accountId, skuId, quantity }));
    saga.compensateWith('reserve', () => compensations.releaseReservation({ key }));

    const listings = await saga.step('listings', () => database.listingsOfSku({ skuId }));
    for (const listing of listings) {
      await pushListings(saga, {
        step: `push:${listing.marketplace}:${listing.accountId}`,
        accountId: listing.accountId,
        marketplace: listing.marketplace,
        changes: [{ sku: listing.externalId, quantity: available }],
        previous: [{ sku: listing.externalId, quantity: listing.quantity }],
        idempotencyKey: `${key}:push:${listing.accountId}`,
      });
    }
    await saga.step('commit', () => database.commitReservation({ key }));
  });
}
