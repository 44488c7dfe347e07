/**
 * inventoryDeductWorkflow on stub activities: load → reserve → push the new quantity to each of the
 * SKU's listings → commit. A failure at any step undoes exactly the steps that succeeded before it,
 * newest first, once each; a failed undo leaves the saga needing attention.
 */
import type { Activities } from '../../../src/activities';
import type { ActivityCall } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { ACCOUNT_FAILURES, PARKING_FAILURES } from '../../../src/contracts/failures';
import {
  expectCompensatedAt,
  expectParkedAt,
  expectRecordedOnce,
  runFailingSaga,
  runSaga,
  failedRunTrace,
  injectFaults,
  sagaStateOf,
  stepRefusal,
  undoneBefore,
  undoRecords,
  type SagaFaults,
  type SagaShape,
} from '../support/saga-contract';
import { useWorkflowHarness } from '../support/workflow-harness';

type SkuListing = Awaited<ReturnType<Activities['listingsOfSku']>>[number];
type ListingUpdate = Parameters<Activities['updateListings']>[0];
type UpdateOutcome = Awaited<ReturnType<Activities['updateListings']>>;

const ORDER = { skuId: 'SKU-7', quantity: 3 };
/** What reserveStock answers: the stock left to sell, which every listing must then show. */
const AVAILABLE = 97;
const AJIO: SkuListing = { accountId: 'seller-ajio', marketplace: 'ajio', externalId: 'AJ-7', quantity: 100 };
const AMAZON: SkuListing = { accountId: 'seller-amazon', marketplace: 'amazon', externalId: 'AMZ-7', quantity: 99 };
const FLIPKART: SkuListing = {
  accountId: 'seller-flipkart',
  marketplace: 'flipkart',
  externalId: 'FK-7',
  quantity: 98,
};
/** In listingsOfSku's order, which is the order of the pushes. */
const LISTINGS = [AJIO, AMAZON, FLIPKART];
const ENVELOPE = envelopeOf('inventory.deduct', {
  accountId: 'acct-deduct',
  idempotencyKey: 'deduct-42',
  payload: ORDER,
});
const SAGA_RUN = { saga: 'inventory-deduct', accountId: ENVELOPE.accountId };

const pushStep = ({ marketplace, accountId }: { marketplace: string; accountId: string }) =>
  `push:${marketplace}:${accountId}`;
const STEPS = ['load', 'reserve', 'listings', ...LISTINGS.map(pushStep), 'commit'];
const COMPENSABLE_STEPS = STEPS.filter((step) => step === 'reserve' || step.startsWith('push:'));
const isCompensable = (step: string) => COMPENSABLE_STEPS.includes(step);
const DEDUCT_SAGA: SagaShape = { steps: STEPS, isCompensable, sagaRun: SAGA_RUN };

interface DeductFaults extends SagaFaults {
  /** Per listing account: the marketplace's answer to its update, instead of applying all of it. */
  answers?: Record<string, UpdateOutcome>;
}

function deductActivities({ answers = {}, ...faults }: DeductFaults): Partial<Activities> {
  const { step, undo } = injectFaults(faults);
  return {
    loadDeductRequest: async () => (step('load'), ORDER),
    reserveStock: async () => (step('reserve'), { available: AVAILABLE }),
    listingsOfSku: async () => (step('listings'), LISTINGS),
    updateListings: async (input) => {
      step(pushStep(input));
      return answers[input.accountId] ?? { applied: input.changes.map((change) => change.sku), failed: [] };
    },
    commitReservation: async () => (step('commit'), true),
    releaseReservation: async () => (undo('reserve'), true),
    restoreListings: async (input) => undo(pushStep(input)),
    recordSagaRun: async () => {},
  };
}

function stepOf({ name, input }: ActivityCall): string {
  const steps: Partial<Record<ActivityCall['name'], () => string>> = {
    loadDeductRequest: () => 'load',
    reserveStock: () => 'reserve',
    listingsOfSku: () => 'listings',
    updateListings: () => pushStep(input as ListingUpdate),
    commitReservation: () => 'commit',
    releaseReservation: () => 'undo:reserve',
    restoreListings: () => `undo:${pushStep(input as ListingUpdate)}`,
  };
  return steps[name]?.() ?? `unexpected:${name}`;
}

const harness = useWorkflowHarness();

const deduct = (faults: DeductFaults = {}) =>
  runSaga(harness(), 'inventoryDeductWorkflow', [ENVELOPE], deductActivities(faults), stepOf);

it('reserves the order, pushes what stays available to every listing, commits, and undoes nothing', async () => {
  const { result, recorder, trace, workflowId, searchAttributes } = await deduct();

  expect(result).toEqual({ status: 'completed', compensations: [] });
  expect(trace).toEqual([...STEPS, 'record']);
  expect(recorder.inputsOf('reserveStock')).toEqual([
    { key: ENVELOPE.idempotencyKey, accountId: ENVELOPE.accountId, ...ORDER },
  ]);
  const updates = recorder.inputsOf('updateListings') as ListingUpdate[];
  expect(updates).toEqual(
    LISTINGS.map((listing) => ({
      accountId: listing.accountId,
      marketplace: listing.marketplace,
      changes: [{ sku: listing.externalId, quantity: AVAILABLE }],
      // From the message's key, so a redelivered message repeats the same updates.
      idempotencyKey: expect.stringContaining(ENVELOPE.idempotencyKey),
    })),
  );
  expect(new Set(updates.map((update) => update.idempotencyKey)).size).toBe(LISTINGS.length);
  expect(recorder.inputsOf('commitReservation')).toEqual([{ key: ENVELOPE.idempotencyKey }]);
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...result });
  expect(sagaStateOf(searchAttributes)).toBe('completed');
});

it.concurrent.each(STEPS)(
  'a failure at %s undoes exactly the steps before it, newest first, once each',
  async (failStep) => {
    const outcome = await deduct({ failStep });
    expect(outcome.result).toEqual(expectCompensatedAt(outcome, DEDUCT_SAGA, failStep));
  },
);

describe.each(PARKING_FAILURES)('a step refused with %s (the account can be served again later)', (refusedAs) => {
  it.concurrent.each(['load', pushStep(AMAZON)])(
    'at %s: undoes the steps before it and records the end, then fails the workflow to park the work',
    async (failStep) => {
      const outcome = await runFailingSaga(
        harness(),
        'inventoryDeductWorkflow',
        [ENVELOPE],
        deductActivities({ failStep, refusedAs }),
        stepOf,
      );
      expectParkedAt(outcome, DEDUCT_SAGA, failStep, refusedAs);
    },
  );
});

it('an unknown account is a permanent refusal: the saga compensates and completes, nothing to park', async () => {
  const outcome = await deduct({ failStep: 'load', refusedAs: ACCOUNT_FAILURES.unknown });
  expect(outcome.result).toEqual(expectCompensatedAt(outcome, DEDUCT_SAGA, 'load'));
});

it('puts back the quantity each listing showed before the push, and releases the reservation by its key', async () => {
  const { recorder } = await deduct({ failStep: 'commit' });

  const restores = recorder.inputsOf('restoreListings') as ListingUpdate[];
  expect(restores).toEqual(
    [...LISTINGS].reverse().map((listing) =>
      expect.objectContaining({
        accountId: listing.accountId,
        marketplace: listing.marketplace,
        changes: [{ sku: listing.externalId, quantity: listing.quantity }],
      }),
    ),
  );
  // An undo under the update's own key would be taken by the marketplace for a replay of the update.
  const updateKeys = (recorder.inputsOf('updateListings') as ListingUpdate[]).map((update) => update.idempotencyKey);
  for (const restore of restores) expect(updateKeys).not.toContain(restore.idempotencyKey);
  expect(recorder.inputsOf('releaseReservation')).toEqual([{ key: ENVELOPE.idempotencyKey }]);
});

it.concurrent.each(COMPENSABLE_STEPS)(
  'when the undo of %s fails too, every other undo still runs and the saga needs attention',
  async (failUndoOf) => {
    const { result, trace, recorder, workflowId, searchAttributes } = await deduct({ failStep: 'commit', failUndoOf });

    const undone = undoneBefore(STEPS, 'commit', isCompensable);
    expect(result).toEqual({
      status: 'needs_attention',
      failedStep: 'commit',
      reason: stepRefusal('commit'),
      compensations: undoRecords(undone, failUndoOf),
    });
    expect(trace).toEqual(failedRunTrace(STEPS, 'commit', undone));
    expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...result });
    expect(sagaStateOf(searchAttributes)).toBe('needs-attention');
  },
);

it('a listing the marketplace rejects fails its push and is not restored, since it never changed', async () => {
  const rejected = { applied: [], failed: [{ sku: AMAZON.externalId, error: 'listing locked' }] };
  const { result, trace } = await deduct({ answers: { [AMAZON.accountId]: rejected } });

  expect(result).toMatchObject({ status: 'compensated', failedStep: pushStep(AMAZON) });
  expect(result.reason).toContain('listing locked');
  const undone = [pushStep(AJIO), 'reserve'];
  expect(result.compensations).toEqual(undoRecords(undone));
  expect(trace).toEqual(failedRunTrace(STEPS, pushStep(AMAZON), undone));
});
