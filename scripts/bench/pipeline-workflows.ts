/** The benchmark's workflow: one no-op activity, registered under the real workflow type names. */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Envelope } from '../../src/contracts/envelope';
import type { createBenchActivities } from './pipeline-activities';

const { noop } = proxyActivities<ReturnType<typeof createBenchActivities>>({ startToCloseTimeout: '30 seconds' });

export async function noopWorkflow(envelope: Envelope): Promise<void> {
  await noop(envelope.idempotencyKey, workflowInfo().startTime.getTime());
}

export const accountSyncWorkflow = noopWorkflow;
export const inventoryDeductWorkflow = noopWorkflow;
export const marketplacePushWorkflow = noopWorkflow;
