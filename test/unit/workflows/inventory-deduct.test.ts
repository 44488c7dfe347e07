/**
 * inventoryDeductWorkflow on stub activities: load → reserve → the accounts listing the SKU → a
 * versioned push to each → commit. The pushes register no undo (what a versioned push shows is what
 * PostgreSQL says); the reservation's undo releases it and then pushes the SKU again to every
 * listing, recomputed, never a snapshot. A failure at any step undoes exactly the steps that succeeded
 * before it, newest first, once each; a failed undo leaves the saga needing attention; a refusal for
 * another seller's SKU or account fails the workflow for good once compensated.
 */
import type { Activities } from '../../../src/activities';
import type { StockPushResult } from '../../../src/contracts/stock';
import type { SagaRun } from '../../../src/db/saga-runs';
import { refuse, type ActivityCall } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { ACCOUNT_FAILURES, PARKING_FAILURES, SAGA_FAILURES, SELLER_FAILURES } from '../../../src/contracts/failures';
import {
  expectCompensatedAt,
  workflowFailureOf,
  expectParkedAt,
  expectRecordedOnce,
  expectRefusedAt,
  runFailingSaga,
  runSaga,
  failedRunTrace,
  injectFaults,
  sagaStateOf,
  stepRefusal,
  undoRecords,
  undoRefusal,
  type SagaFaults,
  type SagaShape,
} from '../support/saga-contract';
import { useWorkflowHarness } from '../support/workflow-harness';

type ListingAccount = Awaited<ReturnType<Activities['listingAccounts']>>[number];
type StockPush = Parameters<Activities['pushStock']>[0];

const SELLER = 'seller-7';
const ORDER = { skuId: 'SKU-7', quantity: 3 };
const AJIO: ListingAccount = { accountId: 'seller-ajio', marketplace: 'ajio' };
const AMAZON: ListingAccount = { accountId: 'seller-amazon', marketplace: 'amazon' };
const FLIPKART: ListingAccount = { accountId: 'seller-flipkart', marketplace: 'flipkart' };
/** In listingAccounts' order, which is the order of the pushes. */
const ACCOUNTS = [AJIO, AMAZON, FLIPKART];
const ENVELOPE = envelopeOf('inventory.deduct', {
  accountId: AJIO.accountId,
  sellerId: SELLER,
  idempotencyKey: 'deduct-42',
  payload: ORDER,
});
const SAGA_RUN = { saga: 'inventory-deduct', accountId: ENVELOPE.accountId };
const SKU_OF_SELLER = { sellerId: SELLER, accountId: ENVELOPE.accountId, skuId: ORDER.skuId };

const pushStep = ({ marketplace, accountId }: ListingAccount) => `push:${marketplace}:${accountId}`;
const accountOf = (accountId: string) => ACCOUNTS.find((account) => account.accountId === accountId)!;
const STEPS = ['load', 'reserve', 'listings', ...ACCOUNTS.map(pushStep), 'commit'];
const isCompensable = (step: string) => step === 'reserve';
/** Undoing the reservation is two activities: the release, then the SKU pushed again everywhere. */
const undoTrace = (step: string) =>
  step === 'reserve' ? ['undo:reserve', 'undo:reserve:republish'] : [`undo:${step}`];
/** The release is registered before the reserve runs: a reserve whose outcome is unknown is undone too. */
const DEDUCT_SAGA: SagaShape = {
  steps: STEPS,
  isCompensable,
  sagaRun: SAGA_RUN,
  undoTrace,
  undoneWhenFailed: (step) => step === 'reserve',
};
/** The run's own reservation key: the message's key and the execution's first run id. */
const RUN_KEY = expect.stringMatching(new RegExp(`^${ENVELOPE.idempotencyKey}@run-[0-9a-f-]{36}$`));

const pushedAll = (input: StockPush): StockPushResult => ({
  pushed: input.skuIds.map((skuId) => ({ skuId, externalId: `X-${skuId}`, quantity: 97, version: '2' })),
  upToDate: [],
  unlisted: [],
  rejected: [],
});

interface DeductFaults extends SagaFaults {
  /** Per listing account: the versioned push's answer, instead of every listing pushed. */
  answers?: Record<string, StockPushResult>;
  /** The republish of the reservation's undo refuses too. */
  failRepublish?: boolean;
}

function deductActivities({ answers = {}, failRepublish, ...faults }: DeductFaults): Partial<Activities> {
  const { step, undo } = injectFaults(faults);
  return {
    loadDeductRequest: async () => (step('load'), { sellerId: SELLER, ...ORDER }),
    reserveStock: async () => (step('reserve'), { available: 97 }),
    listingAccounts: async () => (step('listings'), ACCOUNTS),
    pushStock: async (input) => {
      step(pushStep(accountOf(input.accountId)));
      return answers[input.accountId] ?? pushedAll(input);
    },
    commitReservation: async () => (step('commit'), true),
    releaseReservation: async () => (undo('reserve'), true),
    republishSku: async () => {
      if (failRepublish) refuse(undoRefusal('reserve'));
    },
    recordSagaRun: async () => {},
  };
}

function stepOf({ name, input }: ActivityCall): string {
  const steps: Partial<Record<ActivityCall['name'], () => string>> = {
    loadDeductRequest: () => 'load',
    reserveStock: () => 'reserve',
    listingAccounts: () => 'listings',
    pushStock: () => pushStep(accountOf((input as StockPush).accountId)),
    commitReservation: () => 'commit',
    releaseReservation: () => 'undo:reserve',
    republishSku: () => 'undo:reserve:republish',
  };
  return steps[name]?.() ?? `unexpected:${name}`;
}

const harness = useWorkflowHarness();

const deduct = (faults: DeductFaults = {}) =>
  runSaga(harness(), 'inventoryDeductWorkflow', [ENVELOPE], deductActivities(faults), stepOf);
/** A run whose workflow must fail (parked, or refused for good). */
const failingDeduct = (faults: DeductFaults) =>
  runFailingSaga(harness(), 'inventoryDeductWorkflow', [ENVELOPE], deductActivities(faults), stepOf);

it('reserves the order, pushes the SKU to every listing by the versioned push, commits, and undoes nothing', async () => {
  const { result, recorder, trace, workflowId, searchAttributes } = await deduct();

  expect(result).toEqual({ status: 'completed', compensations: [] });
  expect(trace).toEqual([...STEPS, 'record']);
  expect(recorder.inputsOf('reserveStock')).toEqual([
    { key: RUN_KEY, sellerId: SELLER, accountId: ENVELOPE.accountId, ...ORDER },
  ]);
  expect(recorder.inputsOf('listingAccounts')).toEqual([SKU_OF_SELLER]);
  // The quantity is the push's to compute, from PostgreSQL at the time: the workflow sends none.
  expect(recorder.inputsOf('pushStock')).toEqual(
    ACCOUNTS.map((account) => ({ sellerId: SELLER, accountId: account.accountId, skuIds: [ORDER.skuId] })),
  );
  expect(recorder.inputsOf('commitReservation')).toEqual((recorder.inputsOf('reserveStock') as { key: string }[]).map(({ key }) => ({ key })));
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...result });
  expect(sagaStateOf(searchAttributes)).toBe('completed');
});

it.concurrent.each(STEPS)(
  'a failure at %s undoes exactly the steps before it, newest first, once each',
  async (failStep) => {
    expectCompensatedAt(await failingDeduct({ failStep }), DEDUCT_SAGA, failStep);
  },
);

describe.each(PARKING_FAILURES)('a step refused with %s (the account can be served again later)', (refusedAs) => {
  it.concurrent.each(['load', pushStep(AMAZON)])(
    'at %s: undoes the steps before it and records the end, then fails the workflow to park the work',
    async (failStep) => {
      expectParkedAt(await failingDeduct({ failStep, refusedAs }), DEDUCT_SAGA, failStep, refusedAs);
    },
  );
});

describe.each([
  { refusedAs: SELLER_FAILURES.foreignAccount, failStep: 'load' },
  { refusedAs: SELLER_FAILURES.foreignSku, failStep: 'reserve' },
  { refusedAs: SELLER_FAILURES.unknownSku, failStep: 'reserve' },
])('a step refused with $refusedAs (not the seller’s, for good)', ({ refusedAs, failStep }) => {
  it(`at ${failStep}: undoes the steps before it, records the end, then fails the workflow for good`, async () => {
    expectRefusedAt(await failingDeduct({ failStep, refusedAs }), DEDUCT_SAGA, failStep, refusedAs);
  });
});

it('an unknown account is a permanent refusal: the saga compensates and fails as compensated, nothing to park', async () => {
  expectCompensatedAt(
    await failingDeduct({ failStep: 'load', refusedAs: ACCOUNT_FAILURES.unknown }),
    DEDUCT_SAGA,
    'load',
  );
});

it('undoes by releasing the reservation, then pushing the SKU again everywhere: no listing is restored from a snapshot', async () => {
  const { recorder, trace } = await failingDeduct({ failStep: pushStep(FLIPKART) });

  expect(trace.slice(-3)).toEqual(['undo:reserve', 'undo:reserve:republish', 'record']);
  expect(recorder.inputsOf('releaseReservation')).toEqual([{ key: RUN_KEY }]);
  // Every listing of the SKU, the ones already pushed too, gets what PostgreSQL says after the release.
  expect(recorder.inputsOf('republishSku')).toEqual([SKU_OF_SELLER]);
  expect(recorder.names()).not.toContain('restoreListings');
  expect(recorder.names()).not.toContain('updateListings');
});

it.each([
  { fails: 'the release', faults: { failUndoOf: 'reserve' }, trace: ['undo:reserve'] },
  { fails: 'the push again', faults: { failRepublish: true }, trace: ['undo:reserve', 'undo:reserve:republish'] },
])('when $fails of the undo fails too, the saga needs attention', async ({ faults, trace: undoCalls }) => {
  const outcome = await failingDeduct({ failStep: 'commit', ...faults });
  const { trace, recorder, workflowId, searchAttributes } = outcome;

  expect(workflowFailureOf(outcome)).toMatchObject({ type: SAGA_FAILURES.needsAttention, nonRetryable: true });
  const result = {
    status: 'needs_attention' as const,
    failedStep: 'commit',
    reason: stepRefusal('commit'),
    compensations: [{ step: 'reserve', ok: false, error: undoRefusal('reserve') }],
  };
  expect(trace).toEqual([...STEPS, ...undoCalls, 'record']);
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...result });
  expect(sagaStateOf(searchAttributes)).toBe('needs-attention');
});

it('a listing the marketplace rejects fails its push; the reservation is undone and every listing pushed again', async () => {
  const rejected: StockPushResult = {
    pushed: [],
    upToDate: [],
    unlisted: [],
    rejected: [{ skuId: ORDER.skuId, externalId: 'AMZ-7', quantity: 97, version: '2', error: 'listing locked' }],
  };
  const outcome = await failingDeduct({ answers: { [AMAZON.accountId]: rejected } });

  expect(workflowFailureOf(outcome)).toMatchObject({ type: SAGA_FAILURES.compensated, nonRetryable: true });
  const [recorded] = outcome.recorder.inputsOf('recordSagaRun') as SagaRun[];
  expect(recorded).toMatchObject({ status: 'compensated', failedStep: pushStep(AMAZON) });
  expect(recorded!.reason).toBe('rejected AMZ-7 (listing locked)');
  expect(recorded!.compensations).toEqual(undoRecords(['reserve']));
  const { trace } = outcome;
  expect(trace).toEqual(failedRunTrace(STEPS, pushStep(AMAZON), ['reserve'], undoTrace));
});
