/**
 * Turns a valid envelope into Temporal workflow runs until its fate is settled: completed (recorded in
 * `completed_work` first), to be dead-lettered, or to run again after the retry delay (message-fate.ts
 * decides which from the workflow id's runs). The workflow id is the message's business identity, so a
 * redelivered or duplicated message attaches to the same execution: a running one is reused
 * (USE_EXISTING) and a completed one is never run again. A message whose runs began under the id it
 * had before ids dropped their repetition (legacyWorkflowIdFor) stays under that id.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  isGrpcServiceError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Pool } from 'pg';
import { taskQueueFor, type QueueDefinition } from '../queues/catalogue';
import {
  SAGA_NAMES,
  WORKFLOW_EXECUTION_TIMEOUT_HOURS,
  WORKFLOW_TYPES,
  legacyWorkflowIdFor,
  workflowIdFor,
} from '../contracts/workflows';
import { workflowStaticDetails, workflowStaticSummary } from '../contracts/workflow-summaries';
import { type Envelope, type MessageType } from '../contracts/envelope';
import { AccountIdKey, MarketplaceKey, MessageTypeKey, SourceQueueKey } from '../contracts/search-attributes';
import { isWorkCompleted, recordCompletedWork } from '../db/completed-work';
import { recordUnfinishedSaga } from '../db/saga-runs';
import { fairnessStartOptions } from './fairness';
import { MessageFates, type Fate } from './message-fate';
import { WorkflowRuns } from './workflow-runs';

export type WorkflowOutcome = 'completed' | 'failed';
/** How a message's runs settled: the poller deletes it, dead-letters it, or runs it again later. */
export type SettledFate = Extract<Fate, { kind: 'completed' | 'dead-letter' | 'retry' }>;

/** Hours a run of each message type may take; tests give a shorter one to see a run time out. */
export type ExecutionTimeouts = Partial<Record<MessageType, number>>;

/**
 * Temporal cannot take the work now (unreachable or throttling): the message is not at fault, so it is
 * given back without counting as a failure, and the poller pauses.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

/**
 * gRPC codes that mean "Temporal, not the message": DEADLINE_EXCEEDED (4) and UNAVAILABLE (14) when
 * the frontend cannot be reached, RESOURCE_EXHAUSTED (8) when it throttles (Temporal Cloud's namespace
 * rate limits, a server's RPS limits). By the time one reaches us the client's own gRPC retries have
 * given up on it (about 40 s of backoff for RESOURCE_EXHAUSTED, 20 s for UNAVAILABLE).
 */
const BACKPRESSURE_CODES = new Set<number>([4, 8, 14]);

/** Unreachable or throttling: backpressure, never the message's failure. */
export function isTemporalUnavailable(error: unknown): boolean {
  for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if (isGrpcServiceError(cause) && BACKPRESSURE_CODES.has(cause.code)) return true;
    if (cause instanceof TemporalUnavailableError) return true;
  }
  return false;
}

export interface MessageSource {
  queue: QueueDefinition;
  physicalName: string;
}

/**
 * How a message's workflow is started: id, task queue, timeout, policies, search attributes, memo, and
 * the summary and details the Temporal UI shows. `workflowId`: the id the message's runs live under.
 */
export function workflowStartOptions(
  envelope: Envelope,
  baseTaskQueue: string,
  source: MessageSource,
  sqsMessageId: string,
  timeoutHours: ExecutionTimeouts = {},
  workflowId = workflowIdFor(envelope),
) {
  const hours = timeoutHours[envelope.type] ?? WORKFLOW_EXECUTION_TIMEOUT_HOURS[envelope.type];
  return {
    workflowId,
    taskQueue: taskQueueFor(source.queue.family, baseTaskQueue),
    args: [envelope],
    workflowExecutionTimeout: Math.round(hours * 3_600_000),
    workflowIdConflictPolicy: 'USE_EXISTING',
    // Only ever used once message-fate.ts decided a new run is due: after a failed run with budget left,
    // or for a replay of stopped work. A completed run refuses it (and is then counted done).
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: AccountIdKey, value: envelope.accountId },
      { key: MarketplaceKey, value: envelope.marketplace },
      { key: SourceQueueKey, value: source.physicalName },
      { key: MessageTypeKey, value: envelope.type },
    ],
    memo: { traceId: envelope.traceId, sqsMessageId },
    staticSummary: workflowStaticSummary(envelope),
    staticDetails: workflowStaticDetails(envelope),
    ...fairnessStartOptions(envelope),
  } satisfies WorkflowStartOptions;
}

export interface RunnerOptions {
  client: Client;
  pool: Pool;
  baseTaskQueue: string;
  source: MessageSource;
  /** The catalogue's retry delay, as the poller applies it. */
  retryDelaySeconds: number;
  executionTimeouts?: ExecutionTimeouts;
  /**
   * Whether a message whose old id differs is looked for under it in Temporal (one describe per
   * message; POLLER_LEGACY_ID_LOOKUP). Default: on. Its completion record is looked for under both ids
   * either way.
   */
  legacyIdLookup?: boolean;
}

/** A message as the runner needs it: its SQS id, and when it was replayed from the DLQ, if it was. */
export interface RunRequest {
  envelope: Envelope;
  sqsMessageId: string;
  replayedAt?: Date;
}

/** A message with the workflow id its runs live under. */
interface Work extends RunRequest {
  workflowId: string;
}

export interface RunEvents {
  /** A run of the message's workflow is under way (started, or an existing one attached to). */
  started: () => void;
  finished: (outcome: WorkflowOutcome) => void;
}

export class WorkflowRunner {
  private readonly runs: WorkflowRuns;
  private readonly fates: MessageFates;

  constructor(private readonly options: RunnerOptions) {
    this.runs = new WorkflowRuns(options.client);
    this.fates = new MessageFates(this.runs, {
      failedRunBudget: options.source.queue.failedRunBudget,
      retryDelayMs: options.retryDelaySeconds * 1_000,
    });
  }

  /** Runs the message's workflow as its fate says, until the fate is one the poller acts on. */
  async settle(request: RunRequest, events: RunEvents): Promise<SettledFate> {
    const { envelope } = request;
    const workflowId = workflowIdFor(envelope);
    const legacyId = legacyWorkflowIdFor(envelope);
    try {
      const ids = [workflowId, ...(legacyId ? [legacyId] : [])];
      if (await isWorkCompleted(this.options.pool, ...ids)) return { kind: 'completed', runId: 'recorded' };
      const work: Work = { ...request, workflowId: await this.idWithRuns(workflowId, legacyId) };
      const firstRun = await this.startIfNeverRun(work, events);
      if (firstRun) events.finished(firstRun);
      for (;;) {
        const fate = await this.fates.next(work.workflowId, request.replayedAt);
        if (fate.kind === 'retry') await this.recordTimedOutSaga(work, fate);
        if (fate.kind === 'start' || fate.kind === 'attach' || (fate.kind === 'retry' && fate.afterMs === 0)) {
          events.finished(await this.runOnce(work, events));
          continue;
        }
        await this.record(work, fate);
        return fate;
      }
    } catch (error) {
      if (isTemporalUnavailable(error))
        throw new TemporalUnavailableError('Temporal is unreachable or throttling', { cause: error });
      throw error;
    }
  }

  /**
   * The id the message's runs live under: the id it had before ids dropped their repetition while that
   * id has a run Temporal still knows (open, or closed within retention), so a message produced before
   * the change and delivered after it attaches to its run, or retries and counts under it, instead of
   * starting the work a second time; otherwise its workflow id. Costs one describe for a message whose
   * two ids differ, until POLLER_LEGACY_ID_LOOKUP turns it off; its completion record is looked for
   * under both ids before.
   */
  private async idWithRuns(workflowId: string, legacyId: string | undefined): Promise<string> {
    if (this.options.legacyIdLookup === false || !legacyId) return workflowId;
    return (await this.runs.latest(legacyId)) ? legacyId : workflowId;
  }

  /** What the poller must find in PostgreSQL once it acts on the fate: the completion, or an unfinished saga. */
  private async record({ envelope, workflowId }: Work, fate: SettledFate): Promise<void> {
    if (fate.kind === 'retry') return;
    this.fates.forget(workflowId);
    if (fate.kind === 'completed') {
      const { idempotencyKey, type: messageType, accountId } = envelope;
      const sourceQueue = this.options.source.queue.name;
      await recordCompletedWork(this.options.pool, {
        workflowId,
        idempotencyKey,
        messageType,
        accountId,
        runId: fate.runId,
        sourceQueue,
      });
      return;
    }
    // A terminate skips compensation and the saga's own record: needs attention whatever an earlier run recorded.
    const terminated = fate.verdict.disposition === 'stopped';
    if (fate.unfinishedSaga) await this.recordUnfinishedSaga({ envelope, workflowId }, fate.verdict.reason, terminated);
  }

  /**
   * A saga run that timed out may have stopped half-way: needs_attention at once, so the alarm fires
   * while the retries run; a later run that finishes the saga records its own end over it.
   */
  private async recordTimedOutSaga(work: Work, fate: Extract<Fate, { kind: 'retry' }>): Promise<void> {
    if (fate.timedOutSaga) await this.recordUnfinishedSaga(work, fate.timedOutSaga.reason);
  }

  private async recordUnfinishedSaga(
    { envelope, workflowId }: Pick<Work, 'envelope' | 'workflowId'>,
    reason: string,
    overwrite = false,
  ): Promise<void> {
    const saga = SAGA_NAMES[envelope.type];
    if (!saga) return;
    await recordUnfinishedSaga(
      this.options.pool,
      { workflowId, saga, accountId: envelope.accountId, reason },
      { overwrite },
    );
  }

  /**
   * Nearly every message is new: its workflow id has no run yet, and the fate would be `start`. A start
   * that only succeeds when the id has never run (REJECT_DUPLICATE, conflict FAIL) saves reading the
   * runs first, one describe call per message. Any run of the id, open or closed, refuses it: then the
   * fates decide, as for every message before. Returns the run's outcome, or undefined if refused.
   */
  private async startIfNeverRun(work: Work, events: RunEvents): Promise<WorkflowOutcome | undefined> {
    let handle: WorkflowHandle;
    try {
      handle = await this.options.client.workflow.start(WORKFLOW_TYPES[work.envelope.type], {
        ...this.startOptions(work),
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
      throw error;
    }
    events.started();
    return this.awaitRun(handle);
  }

  /** One run, started or attached to, awaited until it closes however it closes. */
  private async runOnce(work: Work, events: RunEvents): Promise<WorkflowOutcome> {
    const handle = await this.startOrAttach(work);
    events.started();
    return this.awaitRun(handle);
  }

  private async awaitRun(handle: WorkflowHandle): Promise<WorkflowOutcome> {
    try {
      await handle.result();
      return 'completed';
    } catch (error) {
      // Failed, timed out, terminated or cancelled: the next look at its runs says which and what follows.
      if (error instanceof WorkflowFailedError) return 'failed';
      throw error;
    }
  }

  private async startOrAttach(work: Work): Promise<WorkflowHandle> {
    const { client } = this.options;
    try {
      return await client.workflow.start(WORKFLOW_TYPES[work.envelope.type], this.startOptions(work));
    } catch (error) {
      // Completed meanwhile: its run is what this message asked for.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(work.workflowId);
      throw error;
    }
  }

  private startOptions({ envelope, sqsMessageId, workflowId }: Work) {
    const { baseTaskQueue, source, executionTimeouts } = this.options;
    return workflowStartOptions(envelope, baseTaskQueue, source, sqsMessageId, executionTimeouts, workflowId);
  }
}
