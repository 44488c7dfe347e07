/**
 * What Temporal holds after a run: every workflow of the namespace (the run's private server), each
 * with all its runs and the envelope it was started with, read from its history's first event.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Envelope } from '../../../src/contracts/envelope';
import { createLimiter } from '../../../src/platform/concurrency';
import type { RunSpan } from './order';

export interface WorkflowRun extends RunSpan {
  runId: string;
  status: string;
}

export interface TemporalWorkflow {
  workflowId: string;
  runs: WorkflowRun[];
  /** Undefined when the first run's input is not a message envelope. */
  envelope?: Envelope;
}

const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Envelope).type === 'string' &&
  typeof (value as Envelope).accountId === 'string';

async function inputOf(client: Client, workflowId: string, runId: string): Promise<Envelope | undefined> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  return isEnvelope(input) ? input : undefined;
}

/**
 * Every workflow, with its runs, oldest first. Envelopes already known (the producer's, by workflow
 * id) are taken as they are; the others are read from the first run's history.
 */
export async function temporalWorkflows(
  client: Client,
  known: ReadonlyMap<string, Envelope>,
): Promise<Map<string, TemporalWorkflow>> {
  const workflows = new Map<string, TemporalWorkflow>();
  for await (const info of client.workflow.list()) {
    const workflow = workflows.get(info.workflowId) ?? { workflowId: info.workflowId, runs: [] };
    workflow.runs.push({
      runId: info.runId,
      status: info.status.name,
      start: info.startTime,
      ...(info.closeTime && { close: info.closeTime }),
    });
    workflows.set(info.workflowId, workflow);
  }
  const limit = createLimiter(16);
  await Promise.all(
    [...workflows.values()].map((workflow) =>
      limit(async () => {
        workflow.runs.sort((a, b) => a.start.getTime() - b.start.getTime());
        workflow.envelope =
          known.get(workflow.workflowId) ?? (await inputOf(client, workflow.workflowId, workflow.runs[0]!.runId));
      }),
    ),
  );
  return workflows;
}

/** The workflow's final status: its latest run's. */
export const finalStatus = (workflow: TemporalWorkflow | undefined): string =>
  workflow?.runs.at(-1)?.status ?? 'NOT_FOUND';
