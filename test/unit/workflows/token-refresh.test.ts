/**
 * ajioTokenRefreshWorkflow on stub activities: refresh (and store) the token → verify it. A refused
 * verification puts the previous token back; a trigger an earlier refresh already served refreshes
 * nothing and verifies nothing.
 */
import type { Activities } from '../../../src/activities';
import type { ActivityCall } from '../support/activity-stubs';
import { envelopeOf } from '../support/envelopes';
import { PARKING_FAILURES, SAGA_FAILURES } from '../../../src/contracts/failures';
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
  stepRefusal,
  undoRecords,
  type SagaFaults,
  type SagaShape,
} from '../support/saga-contract';
import { useWorkflowHarness } from '../support/workflow-harness';

const ENVELOPE = envelopeOf('ajio.token-refresh', {
  accountId: 'acct-ajio',
  marketplace: 'ajio',
  idempotencyKey: 'refresh-2025-01-15',
  dueAt: '2025-01-15T05:30:00.000Z',
});
const SAGA_RUN = { saga: 'ajio-token-refresh', accountId: ENVELOPE.accountId };
const STEPS = ['refresh', 'verify'];
const isCompensable = (step: string) => step === 'refresh';
const REFRESH_SAGA: SagaShape = { steps: STEPS, isCompensable, sagaRun: SAGA_RUN };

interface RefreshFaults extends SagaFaults {
  /** false: a newer refresh already served this trigger. */
  refreshed?: boolean;
}

function tokenActivities({ refreshed = true, ...faults }: RefreshFaults): Partial<Activities> {
  const { step, undo } = injectFaults(faults);
  return {
    refreshAjioToken: async () => (step('refresh'), { refreshed }),
    verifyAjioToken: async () => step('verify'),
    restorePreviousAjioToken: async () => (undo('refresh'), 'restored' as const),
    recordSagaRun: async () => {},
  };
}

const STEP_OF: Partial<Record<ActivityCall['name'], string>> = {
  refreshAjioToken: 'refresh',
  verifyAjioToken: 'verify',
  restorePreviousAjioToken: 'undo:refresh',
};
const stepOf = ({ name }: ActivityCall) => STEP_OF[name] ?? `unexpected:${name}`;

const harness = useWorkflowHarness();

const refresh = (faults: RefreshFaults = {}) =>
  runSaga(harness(), 'ajioTokenRefreshWorkflow', [ENVELOPE], tokenActivities(faults), stepOf);
/** A run that compensates: its workflow fails, so the trigger is dead-lettered with the reason. */
const failingRefresh = (faults: RefreshFaults) =>
  runFailingSaga(harness(), 'ajioTokenRefreshWorkflow', [ENVELOPE], tokenActivities(faults), stepOf);

it('refreshes the token for the trigger, verifies it, and undoes nothing', async () => {
  const { result, recorder, trace, workflowId, searchAttributes } = await refresh();

  expect(result).toEqual({ status: 'completed', compensations: [], refreshed: true });
  expect(trace).toEqual([...STEPS, 'record']);
  expect(recorder.inputsOf('refreshAjioToken')).toEqual([
    { accountId: ENVELOPE.accountId, dueAt: ENVELOPE.dueAt, idempotencyKey: ENVELOPE.idempotencyKey },
  ]);
  expect(recorder.inputsOf('verifyAjioToken')).toEqual([{ accountId: ENVELOPE.accountId }]);
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, status: 'completed', compensations: [] });
  expect(sagaStateOf(searchAttributes)).toBe('completed');
});

it('a trigger already served by a newer refresh verifies nothing and restores nothing', async () => {
  const { result, trace, recorder, workflowId } = await refresh({ refreshed: false });

  expect(result).toEqual({ status: 'completed', compensations: [], refreshed: false });
  expect(trace).toEqual(['refresh', 'record']);
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, status: 'completed', compensations: [] });
});

it.concurrent.each(STEPS)('a failure at %s undoes exactly the steps before it, once each', async (failStep) => {
  expectCompensatedAt(await failingRefresh({ failStep }), REFRESH_SAGA, failStep);
});

it('restores the previous token of the same account when the new one is refused', async () => {
  const { recorder } = await failingRefresh({ failStep: 'verify' });

  expect(recorder.inputsOf('restorePreviousAjioToken')).toEqual([{ accountId: ENVELOPE.accountId }]);
});

it('a refused new token that cannot be undone either leaves the saga needing attention', async () => {
  const outcome = await failingRefresh({ failStep: 'verify', failUndoOf: 'refresh' });
  const { trace, recorder, workflowId, searchAttributes } = outcome;

  const end = {
    status: 'needs_attention',
    failedStep: 'verify',
    reason: stepRefusal('verify'),
    compensations: undoRecords(['refresh'], 'refresh'),
  } as const;
  expect(workflowFailureOf(outcome)).toMatchObject({ type: SAGA_FAILURES.needsAttention, nonRetryable: true });
  expect(trace).toEqual(failedRunTrace(STEPS, 'verify', ['refresh']));
  expectRecordedOnce(recorder, { workflowId, ...SAGA_RUN, ...end });
  expect(sagaStateOf(searchAttributes)).toBe('needs-attention');
});

it.concurrent.each(PARKING_FAILURES)(
  'a refresh refused with %s refreshes nothing and fails the workflow to park the trigger',
  async (refusedAs) => {
    const outcome = await runFailingSaga(
      harness(),
      'ajioTokenRefreshWorkflow',
      [ENVELOPE],
      tokenActivities({ failStep: 'refresh', refusedAs }),
      stepOf,
    );
    expectParkedAt(outcome, REFRESH_SAGA, 'refresh', refusedAs);
  },
);
