/**
 * What Temporal says about the runs of one workflow id (a message's business identity): its latest
 * run, how a closed run ended (the failure, or who terminated or cancelled it) and how many runs
 * failed since a given time. The poller decides a message's fate from these (run-verdict.ts).
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';

export interface LatestRun {
  runId: string;
  status: WorkflowExecutionStatusName;
  closeTime?: Date;
}

/** How a closed run ended, read from the last events of its history. */
export interface RunEnding {
  /** The innermost failure's message, or who stopped the run and why. */
  reason: string;
  /** The innermost ApplicationFailure's type, `timed-out`, `terminated` or `cancelled`. */
  failureType?: string;
  /** The innermost failure said no retry can fix it. */
  nonRetryable: boolean;
}

type HistoryPage = Awaited<ReturnType<Client['workflowService']['getWorkflowExecutionHistoryReverse']>>;
type HistoryEvent = NonNullable<NonNullable<HistoryPage['history']>['events']>[number];
interface ProtoFailure {
  message?: string | null;
  cause?: ProtoFailure | null;
  applicationFailureInfo?: { type?: string | null; nonRetryable?: boolean | null } | null;
}

/** Events read from a history's end while looking for a cancel request: it is rarely far back. */
const CANCEL_SEARCH_EVENTS = 200;

export class WorkflowRuns {
  constructor(private readonly client: Client) {}

  /** The latest run of the workflow id, or none (never started, or gone past the namespace's retention). */
  async latest(workflowId: string): Promise<LatestRun | undefined> {
    try {
      const described = await this.client.workflow.getHandle(workflowId).describe();
      return { runId: described.runId, status: described.status.name, closeTime: described.closeTime };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }

  /** How a closed run ended: its close event, and for a cancelled run the request that asked for it. */
  async ending(workflowId: string, run: LatestRun): Promise<RunEnding> {
    if (run.status === 'TIMED_OUT')
      return { reason: 'timed out (workflow execution timeout)', failureType: 'timed-out', nonRetryable: false };
    const events = this.eventsFromEnd(workflowId, run.runId);
    if (run.status === 'CANCELLED') return cancelEnding(events);
    const last = (await events.next()).value as HistoryEvent | undefined;
    const terminated = last?.workflowExecutionTerminatedEventAttributes;
    if (terminated) return stopped('terminated', terminated.identity, terminated.reason);
    return failureEnding(last?.workflowExecutionFailedEventAttributes?.failure ?? undefined);
  }

  /** Run ids of the workflow id's runs that failed or timed out, closed after `since` if given. */
  async failedRunIds(workflowId: string, since: Date | undefined, atMost: number): Promise<string[]> {
    const query = [
      `WorkflowId = ${quoted(workflowId)}`,
      `(ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut')`,
      ...(since ? [`CloseTime > ${quoted(since.toISOString())}`] : []),
    ].join(' AND ');
    const runIds: string[] = [];
    for await (const run of this.client.workflow.list({ query, pageSize: atMost })) {
      runIds.push(run.runId);
      if (runIds.length >= atMost) break;
    }
    return runIds;
  }

  /** A run's history events, newest first, up to CANCEL_SEARCH_EVENTS. */
  private async *eventsFromEnd(workflowId: string, runId: string): AsyncGenerator<HistoryEvent> {
    let nextPageToken: Uint8Array | undefined;
    let read = 0;
    do {
      const page: HistoryPage = await this.client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: this.client.options.namespace,
        execution: { workflowId, runId },
        maximumPageSize: read === 0 ? 1 : 50,
        nextPageToken,
      });
      for (const event of page.history?.events ?? []) yield event;
      read += page.history?.events?.length ?? 0;
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken && read < CANCEL_SEARCH_EVENTS);
  }
}

function failureEnding(failure: ProtoFailure | undefined): RunEnding {
  const innermostFirst = [...failureChain(failure)].reverse();
  const application = innermostFirst.find((f) => f.applicationFailureInfo)?.applicationFailureInfo;
  return {
    reason: innermostFirst[0]?.message || 'failed (no failure message)',
    failureType: application?.type || undefined,
    nonRetryable: application?.nonRetryable === true,
  };
}

function* failureChain(failure: ProtoFailure | undefined): Generator<ProtoFailure> {
  for (let current = failure; current; current = current.cause ?? undefined) yield current;
}

/** A cancelled run names who asked for it only on its cancel request, some events before its end. */
async function cancelEnding(events: AsyncGenerator<HistoryEvent>): Promise<RunEnding> {
  for await (const event of events) {
    const request = event.workflowExecutionCancelRequestedEventAttributes;
    if (request) return stopped('cancelled', request.identity, request.cause);
  }
  return stopped('cancelled');
}

/** `terminated by ops@host: bad deploy`: what Temporal recorded of who stopped the run and why. */
function stopped(how: 'terminated' | 'cancelled', identity?: string | null, why?: string | null): RunEnding {
  return {
    reason: `${how}${identity ? ` by ${identity}` : ''}${why ? `: ${why}` : ''}`,
    failureType: how,
    nonRetryable: true,
  };
}

/** A visibility query string literal. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
