/**
 * A WorkflowBench on a marketplace simulator of the test file's own, for simulator behaviour of this
 * branch that the stack's simulator (main's code) does not run yet. Registers its own hooks.
 */
import { startSimulator, type RunningSimulator } from '../../simulator/src/server';
import { SILENT_LOGGER } from '../../src/platform/logger';
import { WorkflowBench } from './workflow-bench';

export function benchOnOwnSimulator(): { readonly bench: WorkflowBench } {
  let simulator: RunningSimulator | undefined;
  const own = {} as { bench: WorkflowBench };
  beforeAll(async () => {
    simulator = await startSimulator({ port: 0 });
    own.bench = await WorkflowBench.create({ simulatorUrl: simulator.url, log: SILENT_LOGGER });
  }, 120_000);
  afterAll(async () => {
    await own.bench?.close();
    await simulator?.close();
  });
  return own;
}

/** The attempt the workflow's first activity of this type completed on, and the failure of the attempt before it. */
export async function lastAttempt(bench: WorkflowBench, workflowId: string, activityType: string) {
  const events = (await bench.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType);
  const started = events.find(
    (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(scheduled?.eventId),
  )?.activityTaskStartedEventAttributes;
  return { attempt: started?.attempt ?? undefined, lastFailure: started?.lastFailure?.message ?? undefined };
}
