import type { Envelope } from '../contracts/envelope';
import { rejectionReason } from '../contracts/stock';
import { reservationKey } from '../contracts/sagas';
import { MARKETPLACE_NAMES } from '../contracts/marketplaces';
import { bookkeeping, compensations, database, marketplace, withSummary } from './activity-options';
import { Saga, SagaStepFailed, runScope, type SagaResult } from './saga';

/**
 * Inventory deduct saga (an operator's or a caller's deduction: an offline sale): reserve the units
 * in PostgreSQL → a versioned push of the SKU to every listing of it on the seller's accounts → commit
 * the reservation. The reservation is the run's own (message key and run), so a second run of the
 * message reserves and pushes anew. The pushes need no undo of their own: what a versioned push showed
 * is what PostgreSQL said. A push refused for good releases the reservation, then pushes the SKU again
 * to every listing: the release is a new version, so every listing, the ones already pushed too, ends
 * at what is available then (other work's changes included), never at a snapshot of before. The
 * release is registered before the reserve runs (releasing a reservation never made changes nothing,
 * and pushes nothing), so a reserve whose outcome is unknown is undone too. The commit is the saga's last step and retries
 * without limit: once every marketplace shows the new quantity, the deduction must be recorded, not
 * undone.
 */
export async function inventoryDeductWorkflow(envelope: Envelope): Promise<SagaResult> {
  const { accountId, idempotencyKey } = envelope;
  const key = reservationKey(idempotencyKey, runScope());
  const saga = new Saga('inventory-deduct', accountId);
  return saga.run(async () => {
    const request = await saga.activity('load', 'load the deduct request', database.loadDeductRequest, envelope);
    const { sellerId, skuId, quantity } = request;
    const sku = { sellerId, accountId, skuId };
    const units = `${quantity} unit${quantity === 1 ? '' : 's'} of SKU ${skuId}`;
    saga.compensateWith(
      'reserve',
      async () => {
        // A reserve that never happened changed no version: nothing to push again.
        if (await withSummary(compensations.releaseReservation, `compensate: release ${units}`, { key }))
          await withSummary(compensations.republishSku, `compensate: push SKU ${skuId} to every listing again`, sku);
      },
      `release the reservation of ${units}`,
    );
    const reserve = { key, sellerId, accountId, skuId, quantity };
    const listings = `find the listings of SKU ${skuId}`;
    await saga.activity('reserve', `reserve ${units}`, database.reserveStock, reserve);

    const accounts = await saga.activity('listings', listings, database.listingAccounts, sku);
    saga.expectSteps(accounts.length + 4);
    for (const [index, account] of accounts.entries()) {
      const step = `push:${account.marketplace}:${account.accountId}`;
      const where = `${MARKETPLACE_NAMES[account.marketplace]} account ${account.accountId}`;
      const summary = `push SKU ${skuId} quantity to ${where} (${index + 1}/${accounts.length})`;
      const push = { sellerId, accountId: account.accountId, skuIds: [skuId] };
      const pushed = await saga.activity(step, summary, marketplace.pushStock, push);
      if (pushed.rejected.length > 0) throw new SagaStepFailed(step, rejectionReason(pushed.rejected));
    }
    await saga.activity('commit', `commit the deduction of ${units}`, bookkeeping.commitReservation, { key });
  });
}
