/**
 * Saga bookkeeping inside a workflow. A step's compensation is registered only after the step
 * succeeded; on a step's failure the registered compensations run in reverse order, each once, and
 * the saga ends `compensated`, or `needs_attention` if any compensation failed. Either way the end
 * is recorded in PostgreSQL (saga_runs) and shown in the Temporal UI as the `SagaState` attribute.
 * A step refused for a state of its account an operator can change (PARKING_FAILURES) then fails the
 * workflow with that failure type, so the work is parked in the DLQ rather than completed; one
 * refused for good (REFUSED_FOR_GOOD: another seller's SKU or account) fails it likewise, so the
 * message is dead-lettered with its reason.
 */
import { ActivityFailure, ApplicationFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CompensationRecord, SagaStatus } from '../contracts/sagas';
import {
  ACCOUNT_FAILURES,
  MARKETPLACE_FAILURES,
  failureReason,
  innermostCause,
  PARKING_FAILURES,
  REFUSED_FOR_GOOD,
} from '../contracts/failures';
import { SagaStateKey } from '../contracts/search-attributes';
import { database } from './activity-options';

export interface SagaResult {
  status: SagaStatus;
  failedStep?: string;
  reason?: string;
  compensations: CompensationRecord[];
}

/** A step failed for good (its activity's retries are spent, or it refused the work). */
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
 * The workflow's failure for a saga refused by its account's state, after compensating: non-retryable,
 * of the refusal's own type, so the poller parks the message instead of deleting it, and a replay
 * once the account can be served starts a fresh run.
 */
function parkedFailure(failure: SagaStepFailed, end: SagaResult): ApplicationFailure {
  const type = failure.failureType!;
  return ApplicationFailure.nonRetryable(
    `parked until ${PARKED_UNTIL[type] ?? 'the account can be served'}: ${failure.step} refused (${failure.reason}); saga ${end.status}`,
    type,
  );
}

/** The workflow's failure for a saga refused for good, after compensating: non-retryable, of the refusal's type. */
function refusedFailure(failure: SagaStepFailed, end: SagaResult): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    `refused for good: ${failure.step} refused (${failure.reason}); saga ${end.status}`,
    failure.failureType,
  );
}

function failureTypeOf(error: unknown): string | undefined {
  const cause = innermostCause(error);
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

function showState(state: 'compensating' | 'completed' | 'compensated' | 'needs-attention'): void {
  upsertSearchAttributes([{ key: SagaStateKey, value: state }]);
}

export class Saga {
  private readonly undo: { step: string; run: () => Promise<unknown> }[] = [];

  constructor(
    private readonly name: string,
    private readonly accountId: string,
  ) {}

  /** Runs one step; an activity failure becomes this step's failure. */
  async step<T>(step: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ActivityFailure) {
        throw new SagaStepFailed(step, failureReason(error), failureTypeOf(error));
      }
      throw error;
    }
  }

  /** Registers how to undo `step`; call it only once the step has succeeded. */
  compensateWith(step: string, run: () => Promise<unknown>): void {
    this.undo.push({ step, run });
  }

  /**
   * Runs the saga's steps; a step failure is compensated (and a parking or for-good refusal then
   * fails the workflow), anything else is a bug and fails the task.
   */
  async run(steps: () => Promise<void>): Promise<SagaResult> {
    let failure: SagaStepFailed;
    try {
      await steps();
      return await this.finish({ status: 'completed', compensations: [] });
    } catch (error) {
      if (!(error instanceof SagaStepFailed)) throw error;
      failure = error;
    }
    const end = await this.compensate(failure);
    if (failure.failureType && PARKING_FAILURES.includes(failure.failureType)) throw parkedFailure(failure, end);
    if (failure.failureType && REFUSED_FOR_GOOD.includes(failure.failureType)) throw refusedFailure(failure, end);
    return end;
  }

  private async compensate(failure: SagaStepFailed): Promise<SagaResult> {
    showState('compensating');
    const compensations: CompensationRecord[] = [];
    for (const { step, run } of [...this.undo].reverse()) {
      try {
        await run();
        compensations.push({ step, ok: true });
      } catch (error) {
        compensations.push({ step, ok: false, error: failureReason(error) });
      }
    }
    const status = compensations.every((c) => c.ok) ? 'compensated' : 'needs_attention';
    return this.finish({ status, failedStep: failure.step, reason: failure.reason, compensations });
  }

  private async finish(result: SagaResult): Promise<SagaResult> {
    showState(result.status === 'needs_attention' ? 'needs-attention' : result.status);
    await database.recordSagaRun({
      workflowId: workflowInfo().workflowId,
      saga: this.name,
      accountId: this.accountId,
      ...result,
    });
    return result;
  }
}
