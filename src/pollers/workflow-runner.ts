/**
 * Turns a valid envelope into one Temporal workflow execution and waits for its outcome. The
 * workflow id is the message's business identity, so a redelivered or duplicated message attaches
 * to the same execution: a running one is reused (USE_EXISTING) and a completed one is never run
 * again (ALLOW_DUPLICATE_FAILED_ONLY lets only a failed one start afresh).
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  isGrpcServiceError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { taskQueueFor, type QueueDefinition } from '../queues/catalogue';
import { WORKFLOW_TYPES, workflowIdFor } from '../contracts/workflows';
import { type Envelope } from '../contracts/envelope';
import { AccountIdKey, MarketplaceKey, MessageTypeKey, SourceQueueKey } from '../contracts/search-attributes';

export type WorkflowOutcome = 'completed' | 'failed';

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

/** How a message's workflow is started: id, task queue, policies, search attributes and memo. */
export function workflowStartOptions(
  envelope: Envelope,
  baseTaskQueue: string,
  source: MessageSource,
  sqsMessageId: string,
) {
  return {
    workflowId: workflowIdFor(envelope),
    taskQueue: taskQueueFor(source.queue.family, baseTaskQueue),
    args: [envelope],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
    typedSearchAttributes: [
      { key: AccountIdKey, value: envelope.accountId },
      { key: MarketplaceKey, value: envelope.marketplace },
      { key: SourceQueueKey, value: source.physicalName },
      { key: MessageTypeKey, value: envelope.type },
    ],
    memo: { traceId: envelope.traceId, sqsMessageId },
  } satisfies WorkflowStartOptions;
}

export class WorkflowRunner {
  constructor(
    private readonly client: Client,
    private readonly baseTaskQueue: string,
    private readonly source: MessageSource,
  ) {}

  async run(
    envelope: Envelope,
    sqsMessageId: string,
    onStarted: () => void = () => undefined,
  ): Promise<WorkflowOutcome> {
    try {
      const handle = await this.startOrAttach(envelope, sqsMessageId);
      onStarted();
      await handle.result();
      return 'completed';
    } catch (error) {
      if (error instanceof WorkflowFailedError) return 'failed';
      if (isTemporalUnavailable(error))
        throw new TemporalUnavailableError('Temporal is unreachable or throttling', { cause: error });
      throw error;
    }
  }

  private async startOrAttach(envelope: Envelope, sqsMessageId: string): Promise<WorkflowHandle> {
    const workflowId = workflowIdFor(envelope);
    try {
      return await this.client.workflow.start(
        WORKFLOW_TYPES[envelope.type],
        workflowStartOptions(envelope, this.baseTaskQueue, this.source, sqsMessageId),
      );
    } catch (error) {
      // Completed before: the work is done; its result is what this message asked for.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return this.client.workflow.getHandle(workflowId);
      throw error;
    }
  }
}
