/**
 * The fairness benchmark's and test's workflow: one activity, registered under the real type name of
 * inventory work, so it is started with the poller's own start options (src/pollers/workflow-runner.ts)
 * and its activity inherits whatever Priority those options give the workflow.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Envelope } from '../../src/contracts/envelope';

export interface FairnessProbeActivities {
  /** One unit of a seller's work; the caller's implementation records when and in which order it ran. */
  probe(sellerId: string): Promise<void>;
}

const { probe } = proxyActivities<FairnessProbeActivities>({ startToCloseTimeout: '5 minutes' });

export async function fairnessProbeWorkflow(envelope: Envelope): Promise<void> {
  await probe(envelope.sellerId ?? envelope.accountId);
}

export const inventoryDeductWorkflow = fairnessProbeWorkflow;
