import type { ListingChange } from '../contracts/marketplace-records';
import type { Marketplace } from '../contracts/marketplaces';
import { compensations, marketplace } from './activity-options';
import { SagaStepFailed, type Saga } from './saga';

export interface ListingPush {
  step: string;
  accountId: string;
  marketplace: Marketplace;
  changes: ListingChange[];
  /** The values to put back for each SKU if the saga later fails. */
  previous: ListingChange[];
  idempotencyKey: string;
}

/**
 * One listing update as a saga step. The SKUs the marketplace applied get their previous values
 * registered as this step's compensation, even when others were rejected (a batch's HTTP 200 can
 * hide per-SKU failures); any rejected SKU then fails the step.
 */
export async function pushListings(saga: Saga, push: ListingPush): Promise<void> {
  const { step, previous, ...input } = push;
  const outcome = await saga.step(step, () => marketplace.updateListings(input));
  const applied = new Set(outcome.applied);
  const undo = previous.filter((change) => applied.has(change.sku));
  if (undo.length > 0) {
    saga.compensateWith(step, () =>
      compensations.restoreListings({ ...input, changes: undo, idempotencyKey: `${input.idempotencyKey}:undo` }),
    );
  }
  if (outcome.failed.length > 0) {
    throw new SagaStepFailed(step, `rejected ${outcome.failed.map((f) => `${f.sku} (${f.error})`).join(', ')}`);
  }
}
