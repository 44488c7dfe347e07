/**
 * marketplacePushWorkflow on stub activities: load the account's desired listings, then per batch of
 * at most the marketplace's SKUs per update: snapshot what the marketplace shows, push the quantities
 * by the versioned push (computed from stock: no value from the workflow, no undo), then update price
 * and status as separate steps. A failure restores the snapshot's price and status for every SKU
 * already changed, newest first, once each; SKUs the marketplace rejected are not restored, since
 * they never changed; quantities are never restored from the snapshot.
 */
import type { Activities } from '../../../src/activities';
import { MAX_SKUS_PER_UPDATE } from '../../../src/contracts/marketplaces';
import type { Marketplace } from '../../../src/contracts/marketplaces';
import { MAX_LISTINGS_PER_PUSH } from '../../../src/workflows/marketplace-push';
import type { ActivityCall } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { PARKING_FAILURES, SAGA_FAILURES } from '../../../src/contracts/failures';
import type { SagaRun } from '../../../src/db/saga-runs';
import {
  expectCompensatedAt,
  workflowFailureOf,
  expectParkedAt,
  expectRecordedOnce,
  runFailingSaga,
  runSaga,
  failedRunTrace,
  injectFaults,
  sagaStateOf,
  undoneBefore,
  undoRecords,
  type SagaFaults,
  type SagaShape,
} from '../support/saga-contract';
import { useWorkflowHarness } from '../support/workflow-harness';

type DesiredListing = Awaited<ReturnType<Activities['desiredListings']>>[number];
type ListingState = Awaited<ReturnType<Activities['readListings']>>[number];
type ListingUpdate = Parameters<Activities['updateListings']>[0];
type UpdateOutcome = Awaited<ReturnType<Activities['updateListings']>>;
type StockPush = Parameters<Activities['pushStock']>[0];

/** Pushed from the listing rows, snapshot-and-restore; quantities go through the versioned push. */
const FIELDS = ['pricePaise', 'status'] as const;
type Field = (typeof FIELDS)[number];

/** What the seller wants listed: every field differs from what the marketplace shows (below). */
const desired = (sku: string, n: number): DesiredListing => ({
  skuId: skuIdOf(sku),
  sku,
  pricePaise: 1_000 * (n + 1),
  status: 'active',
});
/** What the marketplace shows before the push: the values a compensation must put back. */
const shown = (sku: string, n: number): ListingState => ({
  sku,
  quantity: 50 + n,
  pricePaise: 700 * (n + 1),
  status: 'inactive',
});
/** Our SKU id for a marketplace SKU code (the listing's external id). */
const skuIdOf = (sku: string) => `our-${sku}`;
const skusOf = (marketplace: Marketplace, count: number) =>
  Array.from({ length: count }, (_, n) => `${marketplace.toUpperCase()}-${n}`);

interface Catalogue {
  marketplace: Marketplace;
  desired: DesiredListing[];
  shown: Map<string, ListingState>;
}

function catalogue(marketplace: Marketplace, count: number): Catalogue {
  const skus = skusOf(marketplace, count);
  return {
    marketplace,
    desired: skus.map(desired),
    shown: new Map(skus.map((sku, n) => [sku, shown(sku, n)])),
  };
}

/** Flipkart takes 10 SKUs an update (per its limits): one full batch and a second of three. */
const FLIPKART = catalogue('flipkart', MAX_SKUS_PER_UPDATE.flipkart + 3);
const BATCHES = [
  FLIPKART.desired.slice(0, MAX_SKUS_PER_UPDATE.flipkart),
  FLIPKART.desired.slice(MAX_SKUS_PER_UPDATE.flipkart),
];
const STEPS = [
  'load',
  ...BATCHES.flatMap((_, batch) => [`snapshot:${batch}`, `quantity:${batch}`, ...FIELDS.map((f) => `${f}:${batch}`)]),
];
const isCompensable = (step: string) => FIELDS.some((field) => step.startsWith(`${field}:`));

const envelopeFor = (marketplace: Marketplace) =>
  envelopeOf('marketplace.push', {
    accountId: 'acct-push',
    sellerId: 'seller-push',
    marketplace,
    idempotencyKey: 'push-9',
  });
const ENVELOPE = envelopeFor('flipkart');
const SAGA_RUN = { saga: 'marketplace-push', accountId: ENVELOPE.accountId };
/** A price or status update that failed outright may have landed (answer lost): its own undo is registered too. */
const PUSH_SAGA: SagaShape = { steps: STEPS, isCompensable, sagaRun: SAGA_RUN, undoneWhenFailed: isCompensable };

/** The field one update or restore carries (every change in it carries the same one). */
function fieldOf(changes: ListingUpdate['changes']): string {
  return Object.keys(changes[0] ?? {}).find((key) => key !== 'sku') ?? 'no field';
}

/** Which batch a call is about, by its first SKU's place in the desired list. */
function batchOf({ desired, marketplace }: Catalogue, sku: string | undefined): number {
  return Math.floor(desired.findIndex((listing) => listing.sku === sku) / MAX_SKUS_PER_UPDATE[marketplace]);
}

function stepOfCall(shop: Catalogue) {
  return ({ name, input }: ActivityCall): string => {
    const update = input as ListingUpdate;
    const updateStep = () => `${fieldOf(update.changes)}:${batchOf(shop, update.changes[0]?.sku)}`;
    const steps: Partial<Record<ActivityCall['name'], () => string>> = {
      desiredListings: () => 'load',
      readListings: () => `snapshot:${batchOf(shop, (input as { skus: string[] }).skus[0])}`,
      pushStock: () => `quantity:${batchOf(shop, (input as StockPush).skuIds[0]?.replace(/^our-/, ''))}`,
      updateListings: updateStep,
      restoreListings: () => `undo:${updateStep()}`,
    };
    return steps[name]?.() ?? `unexpected:${name}`;
  };
}

interface PushFaults extends SagaFaults {
  /** Per step: the marketplace's answer to its update, instead of applying all of it. */
  answers?: Record<string, UpdateOutcome>;
  /** Per quantity step: the versioned push's answer, instead of every listing pushed. */
  quantityAnswers?: Record<string, Awaited<ReturnType<Activities['pushStock']>>>;
}

function pushActivities(
  shop: Catalogue,
  { answers = {}, quantityAnswers = {}, ...faults }: PushFaults,
): Partial<Activities> {
  const { step, undo } = injectFaults(faults);
  const stepOf = stepOfCall(shop);
  return {
    desiredListings: async () => (step('load'), shop.desired),
    readListings: async (input) => {
      step(stepOf({ name: 'readListings', input }));
      return input.skus.map((sku) => shop.shown.get(sku)!);
    },
    pushStock: async (input) => {
      const name = stepOf({ name: 'pushStock', input });
      step(name);
      const listings = input.skuIds.map((skuId) => ({ skuId, externalId: skuId.replace(/^our-/, ''), version: '3' }));
      return (
        quantityAnswers[name] ?? {
          pushed: listings.map((listing) => ({ ...listing, quantity: 7 })),
          upToDate: [],
          unlisted: [],
          rejected: [],
        }
      );
    },
    updateListings: async (input) => {
      const name = stepOf({ name: 'updateListings', input });
      step(name);
      return answers[name] ?? { applied: input.changes.map((change) => change.sku), failed: [] };
    },
    // A restore carries the SKUs and the field of the update it undoes.
    restoreListings: async (input) => undo(stepOf({ name: 'updateListings', input })),
    recordSagaRun: async () => {},
  };
}

const harness = useWorkflowHarness();

const push = (faults: PushFaults = {}, shop = FLIPKART) =>
  runSaga(
    harness(),
    'marketplacePushWorkflow',
    [envelopeFor(shop.marketplace)],
    pushActivities(shop, faults),
    stepOfCall(shop),
  );
/** A run that compensates: its workflow fails (SagaCompensated); the end it recorded, with the run. */
const failingPush = async (faults: PushFaults, shop = FLIPKART) => {
  const outcome = await runFailingSaga(
    harness(),
    'marketplacePushWorkflow',
    [envelopeFor(shop.marketplace)],
    pushActivities(shop, faults),
    stepOfCall(shop),
  );
  expect(workflowFailureOf(outcome)).toMatchObject({ type: SAGA_FAILURES.compensated, nonRetryable: true });
  const [result] = outcome.recorder.inputsOf('recordSagaRun') as SagaRun[];
  return { ...outcome, result: result! };
};

/** The changes that set `field` of `listings` to its value in `values`. */
const changesOf = (
  field: Field,
  listings: readonly { sku: string }[],
  values: (sku: string) => Record<Field, unknown>,
) => listings.map(({ sku }) => ({ sku, [field]: values(sku)[field] }));
const desiredValues = (sku: string) => FLIPKART.desired.find((listing) => listing.sku === sku)!;
const shownValues = (sku: string) => FLIPKART.shown.get(sku)!;

it('snapshots each batch, pushes its quantities by the versioned push, updates price and status, and undoes nothing', async () => {
  const { result, recorder, trace, workflowId, searchAttributes } = await push();

  expect(result).toEqual({ status: 'completed', compensations: [] });
  expect(trace).toEqual([...STEPS, 'record']);
  expect(recorder.inputsOf('desiredListings')).toEqual([
    { accountId: ENVELOPE.accountId, limit: MAX_LISTINGS_PER_PUSH },
  ]);
  const target = { accountId: ENVELOPE.accountId, marketplace: ENVELOPE.marketplace };
  expect(recorder.inputsOf('readListings')).toEqual(
    BATCHES.map((batch) => ({ ...target, skus: batch.map((l) => l.sku) })),
  );
  // Our SKU ids, no quantity: the push computes each from stock at the time.
  expect(recorder.inputsOf('pushStock')).toEqual(
    BATCHES.map((batch) => ({
      sellerId: ENVELOPE.sellerId,
      accountId: ENVELOPE.accountId,
      skuIds: batch.map((l) => l.skuId),
    })),
  );
  const updates = recorder.inputsOf('updateListings') as ListingUpdate[];
  expect(updates).toEqual(
    BATCHES.flatMap((batch) =>
      FIELDS.map((field) => ({
        ...target,
        changes: changesOf(field, batch, desiredValues),
        idempotencyKey: expect.stringContaining(ENVELOPE.idempotencyKey),
      })),
    ),
  );
  expect(new Set(updates.map((update) => update.idempotencyKey)).size).toBe(updates.length);
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...result });
  expect(sagaStateOf(searchAttributes)).toBe('completed');
});

it.concurrent.each(STEPS)(
  'a failure at %s undoes exactly the steps before it, newest first, once each',
  async (failStep) => {
    expectCompensatedAt(await failingPush({ failStep }), PUSH_SAGA, failStep);
  },
);

describe.each(PARKING_FAILURES)('a step refused with %s (the account can be served again later)', (refusedAs) => {
  // The second batch's snapshot: the first batch's price and status updates are undone (its quantities need no undo).
  it.concurrent.each(['load', 'snapshot:1'])(
    'at %s: undoes the steps before it and records the end, then fails the workflow to park the work',
    async (failStep) => {
      const outcome = await runFailingSaga(
        harness(),
        'marketplacePushWorkflow',
        [ENVELOPE],
        pushActivities(FLIPKART, { failStep, refusedAs }),
        stepOfCall(FLIPKART),
      );
      expectParkedAt(outcome, PUSH_SAGA, failStep, refusedAs);
    },
  );
});

it('restores the values the snapshot showed, field by field, under keys of their own', async () => {
  const lastStep = STEPS.at(-1)!;
  const { recorder } = await failingPush({ failStep: lastStep });

  const undone = undoneBefore(STEPS, lastStep, isCompensable, isCompensable);
  const restores = recorder.inputsOf('restoreListings') as ListingUpdate[];
  expect(restores).toEqual(
    undone.map((step) => {
      const [field, batch] = step.split(':') as [Field, string];
      return expect.objectContaining({ changes: changesOf(field, BATCHES[Number(batch)]!, shownValues) });
    }),
  );
  // An undo under the update's own key would be taken by the marketplace for a replay of the update.
  const updateKeys = (recorder.inputsOf('updateListings') as ListingUpdate[]).map((update) => update.idempotencyKey);
  for (const restore of restores) expect(updateKeys).not.toContain(restore.idempotencyKey);
});

it('when the marketplace applies part of a batch, only the applied SKUs are restored', async () => {
  const [accepted, rejected, alsoAccepted] = BATCHES[1]!;
  const partly = {
    applied: [accepted!.sku, alsoAccepted!.sku],
    failed: [{ sku: rejected!.sku, error: 'price below floor' }],
  };
  const { result, recorder, trace } = await failingPush({ answers: { 'pricePaise:1': partly } });

  expect(result).toMatchObject({ status: 'compensated', failedStep: 'pricePaise:1' });
  expect(result.reason).toContain(`${rejected!.sku} (price below floor)`);
  // The failed step's own undo comes first: its applied SKUs did change.
  const undone = ['pricePaise:1', ...undoneBefore(STEPS, 'pricePaise:1', isCompensable)];
  expect(result.compensations).toEqual(undoRecords(undone));
  expect(trace).toEqual(failedRunTrace(STEPS, 'pricePaise:1', undone));
  const [partialUndo] = recorder.inputsOf('restoreListings') as ListingUpdate[];
  expect(partialUndo!.changes).toEqual(changesOf('pricePaise', [accepted!, alsoAccepted!], shownValues));
});

it('a quantity the marketplace refuses fails its step and undoes the earlier price and status, not quantities', async () => {
  const [refused] = BATCHES[1]!;
  const refusal = {
    pushed: [],
    upToDate: [],
    unlisted: [],
    rejected: [{ skuId: refused!.skuId, externalId: refused!.sku, quantity: 7, version: '3', error: 'listing locked' }],
  };
  const { result, trace, recorder } = await failingPush({ quantityAnswers: { 'quantity:1': refusal } });

  expect(result).toMatchObject({ status: 'compensated', failedStep: 'quantity:1' });
  expect(result.reason).toBe(`rejected ${refused!.sku} (listing locked)`);
  const undone = undoneBefore(STEPS, 'quantity:1', isCompensable);
  expect(undone).toEqual(['status:0', 'pricePaise:0']);
  expect(result.compensations).toEqual(undoRecords(undone));
  expect(trace).toEqual(failedRunTrace(STEPS, 'quantity:1', undone));
  const restored = (recorder.inputsOf('restoreListings') as ListingUpdate[]).map((r) => fieldOf(r.changes));
  expect(restored).not.toContain('quantity');
});

const MARKETPLACES = Object.keys(MAX_SKUS_PER_UPDATE) as Marketplace[];

it.concurrent.each(MARKETPLACES)(
  'on %s, no snapshot or update carries more SKUs than the marketplace takes, and each SKU goes once per field',
  async (marketplace) => {
    const limit = MAX_SKUS_PER_UPDATE[marketplace];
    const shop = catalogue(marketplace, 2 * limit + 1);
    const { result, recorder } = await push({}, shop);

    expect(result.status).toBe('completed');
    const skus = shop.desired.map((listing) => listing.sku);
    const snapshots = recorder.inputsOf('readListings') as { skus: string[] }[];
    expect(snapshots.map((snapshot) => snapshot.skus.length)).toEqual([limit, limit, 1]);
    expect(snapshots.flatMap((snapshot) => snapshot.skus)).toEqual(skus);
    const quantities = recorder.inputsOf('pushStock') as StockPush[];
    expect(quantities.map((push) => push.skuIds.length)).toEqual([limit, limit, 1]);
    expect(quantities.flatMap((push) => push.skuIds)).toEqual(shop.desired.map((listing) => listing.skuId));
    const updates = recorder.inputsOf('updateListings') as ListingUpdate[];
    for (const field of FIELDS) {
      const updatesOfField = updates.filter((update) => fieldOf(update.changes) === field);
      expect(updatesOfField.map((update) => update.changes.length)).toEqual([limit, limit, 1]);
      expect(updatesOfField.flatMap((update) => update.changes.map((change) => change.sku))).toEqual(skus);
    }
  },
);
