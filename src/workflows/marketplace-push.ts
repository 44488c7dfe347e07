import { continueAsNew } from '@temporalio/workflow';
import { inUpdateBatches } from '../contracts/marketplaces';
import type { Envelope } from '../contracts/envelope';
import { rejectionReason } from '../contracts/stock';
import { database, marketplace } from './activity-options';
import { pushListings } from './listing-steps';
import { Saga, SagaStepFailed, runScope, type SagaResult } from './saga';

/**
 * Listings per run (a chunk): Amazon updates one SKU per call, and each call is a few history events,
 * so a run pushes at most this many and continues as new with the rest (history stays small).
 */
export const MAX_LISTINGS_PER_PUSH = 200;

/** Where a push of a large catalogue stands, carried from run to run by continue-as-new. */
export interface PushProgress {
  /** The last listing (by external id) pushed by an earlier run; the next chunk starts after it. */
  afterSku?: string;
  /** Update batches pushed by earlier runs: numbers this run's steps (and their keys) after theirs. */
  batchesBefore: number;
}

/** The fields pushed from the listing rows, snapshot-and-restore; quantity follows stock instead. */
const FIELDS = ['pricePaise', 'status'] as const;

/**
 * Marketplace push saga over every listing of the account, a chunk of MAX_LISTINGS_PER_PUSH per run
 * (keyset on the external id); a full chunk that completed continues as new with the next one. Per
 * batch of the chunk: snapshot what the marketplace shows, then the quantities by the versioned push
 * (computed from stock at the time, so they need no undo and can never overwrite a newer push), then
 * price and status as separate steps. A step that fails for good restores the snapshot's price and
 * status for every SKU this chunk already changed, newest first; earlier chunks completed and stay
 * pushed (they show what PostgreSQL wants), later chunks are not pushed, and the run ends there.
 */
export async function marketplacePushWorkflow(
  envelope: Envelope,
  progress: PushProgress = { batchesBefore: 0 },
): Promise<SagaResult> {
  const { accountId } = envelope;
  const saga = new Saga('marketplace-push', accountId);
  let next: PushProgress | undefined;
  const result = await saga.run(async () => {
    const chunk = await saga.step('load', () =>
      database.desiredListings({ accountId, limit: MAX_LISTINGS_PER_PUSH, afterSku: progress.afterSku }),
    );
    const batches = inUpdateBatches(chunk, envelope.marketplace);
    for (const [index, batch] of batches.entries()) {
      await pushBatch(saga, envelope, batch, progress.batchesBefore + index);
    }
    if (chunk.length === MAX_LISTINGS_PER_PUSH) {
      next = { afterSku: chunk.at(-1)!.sku, batchesBefore: progress.batchesBefore + batches.length };
    }
  });
  if (result.status === 'completed' && next) return continueAsNew<typeof marketplacePushWorkflow>(envelope, next);
  return result;
}

type Listing = Awaited<ReturnType<typeof database.desiredListings>>[number];

async function pushBatch(saga: Saga, envelope: Envelope, batch: Listing[], index: number): Promise<void> {
  const { accountId, sellerId, marketplace: market, idempotencyKey: key } = envelope;
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
