import type { ListingChange, UpdateOutcome } from '../contracts/marketplace-records';
import type { Marketplace } from '../contracts/marketplaces';
import { compensations, marketplace, withSummary } from './activity-options';
import { SagaStepFailed, type Saga } from './saga';

export interface ListingPush {
  step: string;
  /** What the update and its undo do, as their activities' summaries say it. */
  summary: string;
  undoSummary: string;
  accountId: string;
  marketplace: Marketplace;
  changes: ListingChange[];
  /** The values to put back for each SKU if the saga later fails. */
  previous: ListingChange[];
  /** The step's key (message, field, batch); the update is sent as `<key>:<run>`, its undo as `<key>:undo:<run>`. */
  idempotencyKey: string;
  runScope: string;
}

/**
 * One listing update as a saga step. The SKUs the marketplace applied get their previous values
 * registered as this step's compensation, even when others were rejected (a batch's HTTP 200 can
 * hide per-SKU failures); any rejected SKU then fails the step. A step that failed outright has an
 * unknown outcome (its answer may have been lost after the marketplace applied it): every SKU it tried
 * gets its previous values registered before the saga decides, since restoring a value that never
 * changed is harmless.
 */
export async function pushListings(saga: Saga, push: ListingPush): Promise<void> {
  const { step, summary, undoSummary, previous, idempotencyKey, runScope, ...target } = push;
  const input = { ...target, idempotencyKey: `${idempotencyKey}:${runScope}` };
  const undoKey = `${idempotencyKey}:undo:${runScope}`;
  const restore = (changes: ListingChange[]) =>
    saga.compensateWith(
      step,
      () => withSummary(compensations.restoreListings, undoSummary, { ...target, changes, idempotencyKey: undoKey }),
      undoSummary,
    );
  let outcome: UpdateOutcome;
  try {
    outcome = await saga.activity(step, summary, marketplace.updateListings, input);
  } catch (error) {
    restore(previous);
    throw error;
  }
  const applied = new Set(outcome.applied);
  const undo = previous.filter((change) => applied.has(change.sku));
  if (undo.length > 0) restore(undo);
  if (outcome.failed.length > 0) {
    throw new SagaStepFailed(step, `rejected ${outcome.failed.map((f) => `${f.sku} (${f.error})`).join(', ')}`);
  }
}
