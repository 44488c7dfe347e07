/**
 * Saga bookkeeping inside a workflow. Only a business failure compensates: a step whose activity
 * failed non-retryably (it refused the work, or its failure type is one the retry policy lists as
 * non-retryable), or a refusal the workflow throws as SagaStepFailed. A step whose retryable trouble
 * spent its attempts compensates nothing: the workflow fails retryably and the poller runs the message
 * again later (its budget of failed runs), since the work is still wanted and may have half-landed.
 *
 * The registered compensations run in reverse order, each once, in a non-cancellable scope, and the
 * end is recorded in PostgreSQL (saga_runs, retried without limit) before it is shown in the Temporal
 * UI as the `SagaState` attribute. Then the end decides the workflow's: completed returns; compensated
 * fails it non-retryably (`SagaCompensated`, or the refusal's own type when it parks or is refused for
 * good), so the poller dead-letters the message at once and a replay runs the saga again; an undo that
 * failed fails it as `SagaNeedsAttention`. A cancel compensates likewise, then ends the run cancelled.
 *
 * Each step and undo has a one-line summary: its activity carries it (the UI shows it on the events),
 * and the saga's progress (step n of m, what is done, what is being undone) is the workflow's current
 * details, updated at every step, undo and end (saga-progress.ts).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityFunction,
  type ActivityFunctionWithOptions,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { CompensationRecord, SagaStatus } from '../contracts/sagas';
import {
  ACCOUNT_FAILURES,
  MARKETPLACE_FAILURES,
  failureReason,
  innermostCause,
  PARKING_FAILURES,
  REFUSED_FOR_GOOD,
  SAGA_FAILURES,
} from '../contracts/failures';
import { SagaStateKey } from '../contracts/search-attributes';
import { bookkeeping, withSummary } from './activity-options';
import { sagaProgressDetails, type SagaProgress } from './saga-progress';

export interface SagaResult {
  status: SagaStatus;
  failedStep?: string;
  reason?: string;
  compensations: CompensationRecord[];
}

/** A step failed for good: its activity refused the work (non-retryable), or the workflow refused it. */
export class SagaStepFailed extends Error {
  constructor(
    readonly step: string,
    readonly reason: string,
    /** The innermost failure's type (ApplicationFailure.type), when the step's activity gave one. */
    readonly failureType?: string,
  ) {
    super(`${step} failed: ${reason}`);
  }
}

/** What a parked saga waits for, by the parking failure's type. */
const PARKED_UNTIL: Record<string, string> = {
  [ACCOUNT_FAILURES.disabled]: 'the account is enabled again',
  [ACCOUNT_FAILURES.needsReauth]: 'the account is re-authorised',
  [MARKETPLACE_FAILURES.authRevoked]: 'the account is re-authorised',
};

/**
 * The workflow's failure once a business failure was compensated: non-retryable, so the message is
 * dead-lettered at once. A refusal for a state of the account an operator can change keeps its own
 * type (the poller parks it); one refused for good keeps its type too; any other is `SagaCompensated`,
 * or `SagaNeedsAttention` when an undo failed.
 */
function endFailure(failure: SagaStepFailed, end: SagaResult): ApplicationFailure {
  const type = failure.failureType;
  const what = `${failure.step} refused (${failure.reason}); saga ${end.status}`;
  if (type && PARKING_FAILURES.includes(type)) {
    return ApplicationFailure.nonRetryable(
      `parked until ${PARKED_UNTIL[type] ?? 'the account can be served'}: ${what}`,
      type,
    );
  }
  if (type && REFUSED_FOR_GOOD.includes(type))
    return ApplicationFailure.nonRetryable(`refused for good: ${what}`, type);
  if (end.status === 'needs_attention') {
    const failed = end.compensations.filter((c) => !c.ok).map((c) => `${c.step} (${c.error})`);
    return ApplicationFailure.nonRetryable(`${what}; undo failed: ${failed.join(', ')}`, SAGA_FAILURES.needsAttention);
  }
  return ApplicationFailure.nonRetryable(what, SAGA_FAILURES.compensated);
}

function failureTypeOf(error: unknown): string | undefined {
  const cause = innermostCause(error);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/**
 * A business failure: the activity refused the work (an ApplicationFailure marked non-retryable, or of
 * a type the retry policy lists as non-retryable; Temporal reports both as NON_RETRYABLE_FAILURE).
 * Spent attempts or a timeout are trouble, not a verdict on the work.
 */
function isBusinessFailure(error: ActivityFailure): boolean {
  const cause = innermostCause(error);
  return (
    error.retryState === RetryState.NON_RETRYABLE_FAILURE ||
    (cause instanceof ApplicationFailure && cause.nonRetryable === true)
  );
}

function showState(state: 'compensating' | 'completed' | 'compensated' | 'needs-attention'): void {
  upsertSearchAttributes([{ key: SagaStateKey, value: state }]);
}

export class Saga {
  private readonly undo: { step: string; summary: string; run: () => Promise<unknown> }[] = [];
  /** The step under way, named in the record when a cancel interrupts it. */
  private current = 'start';
  private readonly progress: SagaProgress;

  constructor(
    private readonly name: string,
    private readonly accountId: string,
  ) {
    this.progress = { saga: name, phase: 'running', step: 0, done: [], undone: [], undoFailed: [] };
  }

  /** How many steps the saga runs in all, once the workflow knows: its progress reads `step n of m`. */
  expectSteps(total: number): void {
    this.progress.stepsExpected = total;
    this.show();
  }

  /** One activity as a step (see step()): the activity's events and the saga's progress show `summary`. */
  activity<F extends ActivityFunction>(
    step: string,
    summary: string,
    activity: ActivityFunctionWithOptions<F>,
    ...args: Parameters<F>
  ): Promise<Awaited<ReturnType<F>>> {
    return this.step(step, () => withSummary(activity, summary, ...args), summary);
  }

  /**
   * Runs one step. A business failure becomes this step's SagaStepFailed (the saga compensates);
   * retryable trouble that spent its attempts fails the workflow retryably, with nothing undone.
   */
  async step<T>(step: string, run: () => Promise<T>, summary = step): Promise<T> {
    this.current = step;
    this.progress.step += 1;
    this.progress.current = summary;
    this.show();
    try {
      const result = await run();
      this.progress.done.push(summary);
      return result;
    } catch (error) {
      if (!(error instanceof ActivityFailure) || isCancellation(error)) throw error;
      if (isBusinessFailure(error)) throw new SagaStepFailed(step, failureReason(error), failureTypeOf(error));
      throw ApplicationFailure.create({
        message: `${step}: retries spent (${failureReason(error)}); nothing undone, the message runs again later`,
        type: SAGA_FAILURES.retriesSpent,
        nonRetryable: false,
        cause: error,
      });
    }
  }

  /**
   * Registers how to undo `step`. Call it once the step succeeded, or before a step whose outcome may
   * be unknown when it fails, with an undo that is harmless where the step did not land.
   */
  compensateWith(step: string, run: () => Promise<unknown>, summary = `undo ${step}`): void {
    this.undo.push({ step, summary, run });
  }

  /**
   * Runs the saga's steps. A business failure or a cancel is compensated; the end is recorded, shown,
   * and then decides how the workflow ends (see the file's comment). Anything else propagates.
   */
  async run(steps: () => Promise<void>): Promise<SagaResult> {
    try {
      await steps();
    } catch (error) {
      if (isCancellation(error)) {
        await this.compensate({ failedStep: this.current, reason: 'the workflow was cancelled' });
        throw error;
      }
      if (!(error instanceof SagaStepFailed)) throw error;
      const end = await this.compensate({ failedStep: error.step, reason: error.reason });
      throw endFailure(error, end);
    }
    return this.finish({ status: 'completed', compensations: [] });
  }

  /** The undo and its record run to the end whatever cancels the workflow meanwhile. */
  private compensate(cause: { failedStep: string; reason: string }): Promise<SagaResult> {
    return CancellationScope.nonCancellable(async () => {
      showState('compensating');
      this.progress.phase = 'compensating';
      this.progress.failed = { step: cause.failedStep, reason: cause.reason };
      const compensations: CompensationRecord[] = [];
      const undos = [...this.undo].reverse();
      for (const [index, { step, summary, run }] of undos.entries()) {
        this.progress.undoing = { number: index + 1, of: undos.length, summary };
        this.show();
        try {
          await run();
          compensations.push({ step, ok: true });
          this.progress.undone.push(summary);
        } catch (error) {
          compensations.push({ step, ok: false, error: failureReason(error) });
          this.progress.undoFailed.push(`${summary} (${failureReason(error)})`);
        }
      }
      this.progress.undoing = undefined;
      const status = compensations.every((c) => c.ok) ? 'compensated' : 'needs_attention';
      return this.finish({ status, ...cause, compensations });
    });
  }

  /** Recorded first, then shown: the attribute never claims an end PostgreSQL does not hold. */
  private async finish(result: SagaResult): Promise<SagaResult> {
    await CancellationScope.nonCancellable(() =>
      withSummary(bookkeeping.recordSagaRun, `record the saga's end: ${result.status}`, {
        workflowId: workflowInfo().workflowId,
        saga: this.name,
        accountId: this.accountId,
        ...result,
      }),
    );
    showState(result.status === 'needs_attention' ? 'needs-attention' : result.status);
    this.progress.phase = result.status;
    this.show();
    return result;
  }

  private show(): void {
    setCurrentDetails(sagaProgressDetails(this.progress));
  }
}

/**
 * What makes a marketplace or reservation key this run's own: the execution's first run id, the same
 * across continue-as-new (a continuation must still find its own earlier calls answered as replays) and
 * new for each run the poller starts (a second run of a message must apply, not be answered from the
 * first run's calls).
 */
export function runScope(): string {
  return `run-${workflowInfo().firstExecutionRunId}`;
}
