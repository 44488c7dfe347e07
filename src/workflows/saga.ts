/**
 * Saga bookkeeping inside a workflow. A step's compensation is registered only after the step
 * succeeded; on a step's failure the registered compensations run in reverse order, each once, and
 * the saga ends `compensated`, or `needs_attention` if any compensation failed. Either way the end
 * is recorded in PostgreSQL (saga_runs) and shown in the Temporal UI as the `SagaState` attribute.
 */
import { ActivityFailure, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { CompensationRecord, SagaStatus } from '../contracts/sagas';
import { failureReason } from '../contracts/failures';
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
  ) {
    super(`${step} failed: ${reason}`);
  }
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
      if (error instanceof ActivityFailure) throw new SagaStepFailed(step, failureReason(error));
      throw error;
    }
  }

  /** Registers how to undo `step`; call it only once the step has succeeded. */
  compensateWith(step: string, run: () => Promise<unknown>): void {
    this.undo.push({ step, run });
  }

  /** Runs the saga's steps; a step failure is compensated, anything else is a bug and fails the task. */
  async run(steps: () => Promise<void>): Promise<SagaResult> {
    try {
      await steps();
      return await this.finish({ status: 'completed', compensations: [] });
    } catch (error) {
      if (!(error instanceof SagaStepFailed)) throw error;
      return await this.compensate(error);
    }
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
