/**
 * What to do next with a message, decided from the runs of its workflow id in Temporal: start or
 * attach to a run, count it done, run it again after the retry delay, or dead-letter it.
 *
 * - A message's budget is a number of failed runs (Failed or TimedOut), counted since its last replay.
 *   They are counted from Temporal's visibility, which may lag a run's close by a moment, united with
 *   the failed runs this process saw itself.
 * - A non-retryable failure dead-letters at once (`failed`; `parked` for a state of the account an
 *   operator can change).
 * - A saga that compensated a business failure fails its workflow non-retryably (`SagaCompensated`,
 *   `SagaNeedsAttention`): dead-lettered at once as `failed`, replayable once the cause is fixed.
 * - A terminated or cancelled run is an operator's decision: the message dead-letters (`stopped` for a
 *   terminate, which skips compensation, so a saga may be half-done; `cancelled` for a cancel, which a
 *   saga compensates and records itself) and the work is never started again, unless the message is a
 *   replay made after that run closed.
 */
import { PARKING_FAILURES } from '../contracts/failures';
import type { DeadLetterVerdict } from '../queues/dead-letter-record';
import type { LatestRun, RunEnding, WorkflowRuns } from './workflow-runs';

export type Fate =
  | { kind: 'start' }
  | { kind: 'attach' }
  | { kind: 'completed'; runId: string }
  /**
   * The last run failed with budget left: run again once `afterMs` has passed (0: now). `timedOutSaga`:
   * the run timed out, so a saga may have stopped half-way (the reason says how it ended).
   */
  | { kind: 'retry'; afterMs: number; timedOutSaga?: { reason: string } }
  /** `unfinishedSaga`: the run may have stopped in the middle of a saga (stopped, or budget spent). */
  | { kind: 'dead-letter'; verdict: DeadLetterVerdict; unfinishedSaga: boolean };

export interface FateRules {
  failedRunBudget: number;
  retryDelayMs: number;
}

/** Workflow ids whose failed runs this process remembers; beyond it the oldest are forgotten. */
const REMEMBERED_WORKFLOWS = 10_000;

export class MessageFates {
  /** Failed runs seen here, per workflow id: run id → close time. */
  private readonly failedRunsSeen = new Map<string, Map<string, Date>>();

  constructor(
    private readonly runs: WorkflowRuns,
    private readonly rules: FateRules,
  ) {}

  /** `replayedAt`: when the message was replayed from the DLQ, if it was. */
  async next(workflowId: string, replayedAt: Date | undefined, now = Date.now()): Promise<Fate> {
    const latest = await this.runs.latest(workflowId);
    if (!latest) return { kind: 'start' };
    if (latest.status === 'COMPLETED') return { kind: 'completed', runId: latest.runId };
    if (!latest.closeTime) return { kind: 'attach' };
    // A replay made after the run closed: the operator asks for the work again, whatever ended it.
    if (replayedAt && latest.closeTime <= replayedAt) return { kind: 'start' };
    const ending = await this.runs.ending(workflowId, latest);
    if (latest.status === 'TERMINATED') return deadLetter('stopped', ending, true);
    if (latest.status === 'CANCELLED') return deadLetter('cancelled', ending, false);
    if (ending.failureType && PARKING_FAILURES.includes(ending.failureType)) return deadLetter('parked', ending, false);
    if (ending.nonRetryable) return deadLetter('failed', ending, false);
    const failedRuns = await this.failedRunsSince(workflowId, latest, replayedAt);
    if (failedRuns >= this.rules.failedRunBudget) return deadLetter('failed', ending, true);
    return {
      kind: 'retry',
      afterMs: Math.max(0, latest.closeTime.getTime() + this.rules.retryDelayMs - now),
      ...(latest.status === 'TIMED_OUT' && { timedOutSaga: { reason: ending.reason } }),
    };
  }

  /** The message is settled (done or dead-lettered): its failed runs need not be remembered. */
  forget(workflowId: string): void {
    this.failedRunsSeen.delete(workflowId);
  }

  private async failedRunsSince(workflowId: string, latest: LatestRun, since: Date | undefined): Promise<number> {
    const seen = this.failedRunsSeen.get(workflowId) ?? new Map<string, Date>();
    seen.set(latest.runId, latest.closeTime!);
    this.remember(workflowId, seen);
    const visible = await this.runs.failedRunIds(workflowId, since, this.rules.failedRunBudget);
    const counted = new Set(visible);
    for (const [runId, closeTime] of seen) if (!since || closeTime > since) counted.add(runId);
    return counted.size;
  }

  private remember(workflowId: string, seen: Map<string, Date>): void {
    this.failedRunsSeen.delete(workflowId);
    this.failedRunsSeen.set(workflowId, seen);
    if (this.failedRunsSeen.size > REMEMBERED_WORKFLOWS)
      this.failedRunsSeen.delete(this.failedRunsSeen.keys().next().value!);
  }
}

function deadLetter(disposition: DeadLetterVerdict['disposition'], ending: RunEnding, unfinishedSaga: boolean): Fate {
  return {
    kind: 'dead-letter',
    verdict: { disposition, reason: ending.reason, failureType: ending.failureType },
    unfinishedSaga,
  };
}
