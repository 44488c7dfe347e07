/**
 * The saga contract of src/workflows/saga.ts, for the saga tests: faults to inject at a step or at
 * its compensation, and the expectations they imply, built from the test's own list of steps rather
 * than from what the workflow computed. On a business failure, exactly the compensations of the steps
 * that succeeded before it (and of the failed step itself when its outcome may be unknown) run, newest
 * first, once each; then the end is recorded once and shown in the `SagaState` search attribute, and
 * the workflow fails non-retryably with the end (`SagaCompensated`, `SagaNeedsAttention`, or the
 * refusal's own type when it parks or is refused for good).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, type TypedSearchAttributes } from '@temporalio/common';
import type { CompensationRecord } from '../../../src/contracts/sagas';
import type { SagaRun } from '../../../src/db/saga-runs';
import { SagaStateKey } from '../../../src/contracts/search-attributes';
import { SAGA_FAILURES } from '../../../src/contracts/failures';
import type { Activities } from '../../../src/activities';
import { ActivityRecorder, refuse, type ActivityCall } from './activity-stubs';
import type { WorkflowHarness, WorkflowName, Workflows } from './workflow-harness';

export interface SagaFaults {
  /** The step whose activity refuses the work. */
  failStep?: string;
  /** The failure type of that refusal (default: the stubs' own RefusedByStub). */
  refusedAs?: string;
  /** The step whose compensation refuses too. */
  failUndoOf?: string;
}

export const stepRefusal = (step: string) => `${step} refused`;
export const undoRefusal = (step: string) => `undo of ${step} refused`;

/** For stubs: call `step(name)` / `undo(name)` first thing; they throw when that is the fault. */
export function injectFaults({ failStep, refusedAs, failUndoOf }: SagaFaults) {
  return {
    step(name: string): void {
      if (name === failStep) refuse(stepRefusal(name), refusedAs);
    },
    undo(name: string): void {
      if (name === failUndoOf) refuse(undoRefusal(name));
    },
  };
}

/**
 * The steps before `failStep` that register a compensation, newest first; `failStep` itself first when
 * it registers its undo even when it fails (`undoneWhenFailed`: its outcome may be unknown).
 */
export function undoneBefore(
  steps: readonly string[],
  failStep: string,
  isCompensable: (step: string) => boolean,
  undoneWhenFailed: (step: string) => boolean = () => false,
) {
  const before = stepsThrough(steps, failStep).slice(0, -1).filter(isCompensable).reverse();
  return undoneWhenFailed(failStep) ? [failStep, ...before] : before;
}

/** The saga's compensation records: every undo in `undone` ran, and only `failUndoOf`'s failed. */
export function undoRecords(undone: readonly string[], failUndoOf?: string): CompensationRecord[] {
  return undone.map((step) =>
    step === failUndoOf ? { step, ok: false, error: undoRefusal(step) } : { step, ok: true },
  );
}

/**
 * Every activity call as a step name (`undo:<step>` for a compensation, `record` for recordSagaRun):
 * the whole run as one comparable list.
 */
export function traceOf(recorder: ActivityRecorder, stepOf: (call: ActivityCall) => string): string[] {
  return recorder.calls.map((call) => (call.name === 'recordSagaRun' ? 'record' : stepOf(call)));
}

type SagaArgs<W extends WorkflowName> = [
  harness: WorkflowHarness,
  workflow: W,
  args: Parameters<Workflows[W]>,
  stubs: Partial<Activities>,
  stepOf: (call: ActivityCall) => string,
];

/** Runs a saga with recorded stubs: its outcome, with the recorder and the run as a list of step names. */
export function runSaga<W extends WorkflowName>(...sagaArgs: SagaArgs<W>) {
  return runRecorded(sagaArgs, (harness, workflow, args, activities) => harness.run(workflow, args, activities));
}

/** Runs a saga that must fail its workflow (it compensated): the failure, with the recorder and the run's trace. */
export function runFailingSaga<W extends WorkflowName>(...sagaArgs: SagaArgs<W>) {
  return runRecorded(sagaArgs, (harness, workflow, args, activities) => harness.runFailing(workflow, args, activities));
}

async function runRecorded<W extends WorkflowName, R extends object>(
  [harness, workflow, args, stubs, stepOf]: SagaArgs<W>,
  runWith: (
    harness: WorkflowHarness,
    workflow: W,
    args: Parameters<Workflows[W]>,
    activities: Partial<Activities>,
  ) => Promise<R>,
) {
  const recorder = new ActivityRecorder();
  const run = await runWith(harness, workflow, args, recorder.record(stubs));
  return { ...run, recorder, trace: traceOf(recorder, stepOf) };
}

/** The trace of one step's undo: `undo:<step>`, one activity, unless the saga says otherwise. */
const oneUndoCall = (step: string) => [`undo:${step}`];

/** A run that failed at `failStep`: the steps up to it, the undos, then the record. */
export function failedRunTrace(
  steps: readonly string[],
  failStep: string,
  undone: readonly string[],
  undoTrace: (step: string) => string[] = oneUndoCall,
): string[] {
  return [...stepsThrough(steps, failStep), ...undone.flatMap(undoTrace), 'record'];
}

function stepsThrough(steps: readonly string[], step: string): readonly string[] {
  const index = steps.indexOf(step);
  if (index < 0) throw new Error(`${step} is not one of the saga's steps (${steps.join(', ')})`);
  return steps.slice(0, index + 1);
}

/** recordSagaRun ran once, after every other activity, with the saga's end. */
export function expectRecordedOnce(recorder: ActivityRecorder, run: SagaRun): void {
  expect(recorder.inputsOf('recordSagaRun')).toEqual([run]);
  expect(recorder.names().at(-1)).toBe('recordSagaRun');
}

/** A saga as its test describes it: the steps in order, which ones register an undo, who it runs for. */
export interface SagaShape {
  steps: readonly string[];
  isCompensable: (step: string) => boolean;
  sagaRun: Pick<SagaRun, 'saga' | 'accountId'>;
  /** The trace entries a step's undo makes, when it runs more than one activity (default `undo:<step>`). */
  undoTrace?: (step: string) => string[];
  /** Steps that register their undo even when they fail (an outcome that may be unknown). */
  undoneWhenFailed?: (step: string) => boolean;
}

/** What a saga test gets back from one run. */
export interface SagaOutcome {
  result: unknown;
  trace: string[];
  recorder: ActivityRecorder;
  workflowId: string;
  searchAttributes: TypedSearchAttributes;
}

/**
 * The whole contract of a run refused at `failStep` while every undo worked: exactly the steps
 * before it undone, newest first, once each; the end recorded once, last; the UI shows `compensated`;
 * the workflow fails non-retryably as `SagaCompensated`, so its message is dead-lettered at once.
 * Returns the end, for sagas whose result carries more than it.
 */
export function expectCompensatedAt(outcome: ParkedOutcome, saga: SagaShape, failStep: string) {
  const undone = undoneBefore(saga.steps, failStep, saga.isCompensable, saga.undoneWhenFailed);
  const end = {
    status: 'compensated',
    failedStep: failStep,
    reason: stepRefusal(failStep),
    compensations: undoRecords(undone),
  } as const;
  expectWorkflowFailedAt(outcome, saga, failStep, SAGA_FAILURES.compensated, /^[^ ]+ refused \(/);
  return end;
}

/** The saga's workflow failure, once it failed: its type, and whether a retry may run it again. */
export function workflowFailureOf(outcome: { failure: unknown }) {
  expect(outcome.failure).toBeInstanceOf(WorkflowFailedError);
  return (outcome.failure as WorkflowFailedError).cause as ApplicationFailure;
}

/** What the Temporal UI shows for the saga once it has ended. */
export function sagaStateOf(searchAttributes: TypedSearchAttributes): string | undefined {
  return searchAttributes.get(SagaStateKey);
}

/** What a parked saga's run gives back: its workflow's failure instead of a result. */
export type ParkedOutcome = Omit<SagaOutcome, 'result'> & { failure: unknown };

/**
 * A step refused for its account's state (`type`, one of PARKING_FAILURES): the saga still undoes
 * exactly the steps before it and records its end once, as for any failure; then, instead of
 * completing, the workflow fails, non-retryably, with that same failure type, saying the work is parked.
 */
export function expectParkedAt(outcome: ParkedOutcome, saga: SagaShape, failStep: string, type: string): void {
  expectWorkflowFailedAt(outcome, saga, failStep, type, /^parked until /);
}

/**
 * A step refused for good (`type`, one of REFUSED_FOR_GOOD: another seller's SKU or account): undone
 * and recorded like any failure, then the workflow fails non-retryably with that type, so the message
 * is dead-lettered with its reason.
 */
export function expectRefusedAt(outcome: ParkedOutcome, saga: SagaShape, failStep: string, type: string): void {
  expectWorkflowFailedAt(outcome, saga, failStep, type, /^refused for good: /);
}

function expectWorkflowFailedAt(
  outcome: ParkedOutcome,
  saga: SagaShape,
  failStep: string,
  type: string,
  message: RegExp,
): void {
  const undone = undoneBefore(saga.steps, failStep, saga.isCompensable, saga.undoneWhenFailed);
  expect(outcome.trace).toEqual(failedRunTrace(saga.steps, failStep, undone, saga.undoTrace));
  expectRecordedOnce(outcome.recorder, {
    workflowId: outcome.workflowId,
    ...saga.sagaRun,
    status: 'compensated',
    failedStep: failStep,
    reason: stepRefusal(failStep),
    compensations: undoRecords(undone),
  });
  expect(sagaStateOf(outcome.searchAttributes)).toBe('compensated');
  expect(outcome.failure).toBeInstanceOf(WorkflowFailedError);
  const cause = (outcome.failure as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  expect(cause).toMatchObject({ type, nonRetryable: true, message: expect.stringMatching(message) });
  expect((cause as Error).message).toContain(stepRefusal(failStep));
}
