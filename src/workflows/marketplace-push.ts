import { continueAsNew } from '@temporalio/workflow';
import { inUpdateBatches } from '../contracts/marketplaces';
import type { Envelope } from '../contracts/envelope';
import { rejectionReason } from '../contracts/stock';
import { MARKETPLACE_NAMES } from '../contracts/marketplaces';
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
    const after = progress.afterSku === undefined ? '' : ` after SKU ${progress.afterSku}`;
    const chunk = await saga.activity(
      'load',
      `load up to ${MAX_LISTINGS_PER_PUSH} listings of account ${accountId}${after}`,
      database.desiredListings,
      { accountId, limit: MAX_LISTINGS_PER_PUSH, afterSku: progress.afterSku },
    );
    const batches = inUpdateBatches(chunk, envelope.marketplace);
    const continues = chunk.length === MAX_LISTINGS_PER_PUSH;
    saga.expectSteps(1 + STEPS_PER_BATCH * batches.length);
    for (const [index, batch] of batches.entries()) {
      const label = batchLabel(progress.batchesBefore, index, batches.length, continues);
      await pushBatch(saga, envelope, batch, { index: progress.batchesBefore + index, label });
    }
    if (continues) {
      next = { afterSku: chunk.at(-1)!.sku, batchesBefore: progress.batchesBefore + batches.length };
    }
  });
  if (result.status === 'completed' && next) return continueAsNew<typeof marketplacePushWorkflow>(envelope, next);
  return result;
}

type Listing = Awaited<ReturnType<typeof database.desiredListings>>[number];

/** Snapshot, quantities, then each of FIELDS. */
const STEPS_PER_BATCH = 2 + FIELDS.length;

const FIELD_NAMES: Record<(typeof FIELDS)[number], string> = { pricePaise: 'prices', status: 'statuses' };

/**
 * `batch 2/5` when this run pushes the whole catalogue; a push continued as new counts its batches on
 * from the earlier runs' (`batch 203, 3/5 of this run`), and cannot know yet how many follow.
 */
function batchLabel(batchesBefore: number, index: number, batchesHere: number, continues: boolean): string {
  if (batchesBefore === 0 && !continues) return `batch ${index + 1}/${batchesHere}`;
  return `batch ${batchesBefore + index + 1}, ${index + 1}/${batchesHere} of this run`;
}

async function pushBatch(
  saga: Saga,
  envelope: Envelope,
  batch: Listing[],
  { index, label }: { index: number; label: string },
): Promise<void> {
  const { accountId, sellerId, marketplace: market, idempotencyKey: key } = envelope;
  const skus = batch.map((listing) => listing.sku);
  const size = `${batch.length} SKU${batch.length === 1 ? '' : 's'}`;
  const name = MARKETPLACE_NAMES[market];
  const snapshot = await saga.activity(
    `snapshot:${index}`,
    `read ${label} back from ${name} (${size})`,
    marketplace.readListings,
    { accountId, marketplace: market, skus },
  );
  const quantityStep = `quantity:${index}`;
  const quantities = await saga.activity(
    quantityStep,
    `push quantity ${label} to ${name} (${size})`,
    marketplace.pushStock,
    { sellerId, accountId, skuIds: batch.map((listing) => listing.skuId) },
  );
  if (quantities.rejected.length > 0) throw new SagaStepFailed(quantityStep, rejectionReason(quantities.rejected));
  for (const field of FIELDS) {
    await pushListings(saga, {
      step: `${field}:${index}`,
      summary: `push ${FIELD_NAMES[field]} ${label} to ${name} (${size})`,
      undoSummary: `compensate: restore the ${FIELD_NAMES[field]} of ${label} on ${name}`,
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
