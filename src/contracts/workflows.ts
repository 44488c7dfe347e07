/**
 * The message -> workflow contract: which workflow type handles each message type, and the workflow id
 * a message's business identity gives (so a redelivered or duplicated message attaches to the same
 * execution).
 */
import type { Envelope, MessageType } from './envelope';

/** The Temporal workflow type that handles each message type (src/workflows). */
export const WORKFLOW_TYPES: Record<MessageType, string> = {
  'account.sync': 'accountSyncWorkflow',
  'ajio.token-refresh': 'ajioTokenRefreshWorkflow',
  'ajio.orders-sync': 'ajioOrdersSyncWorkflow',
  'inventory.deduct': 'inventoryDeductWorkflow',
  'inventory.publish': 'inventoryPublishWorkflow',
  'inventory.repair': 'inventoryRepairWorkflow',
  'marketplace.push': 'marketplacePushWorkflow',
  'returns.sync': 'returnsSyncWorkflow',
  'document.download': 'documentDownloadWorkflow',
  'payout.sync': 'payoutSyncWorkflow',
  'reconciliation.run': 'reconciliationWorkflow',
};

/**
 * How long one run of each workflow type may take, start to close, in hours (its workflow execution
 * timeout). A run past it ends TimedOut, which the poller counts as a failed run like any other.
 * Sized far above a healthy run: syncs and downloads page through days of data behind rate limits.
 */
export const WORKFLOW_EXECUTION_TIMEOUT_HOURS: Record<MessageType, number> = {
  'account.sync': 6,
  'ajio.token-refresh': 1,
  'ajio.orders-sync': 6,
  'inventory.deduct': 2,
  'inventory.publish': 2,
  'inventory.repair': 6,
  'marketplace.push': 6,
  'returns.sync': 6,
  'document.download': 12,
  'payout.sync': 6,
  'reconciliation.run': 24,
};

/**
 * The saga each saga workflow runs (its `new Saga(name, …)`): a run of these that ends without a
 * saga_runs row was stopped in the middle, and the poller records it as needing attention.
 */
export const SAGA_NAMES: Partial<Record<MessageType, string>> = {
  'inventory.deduct': 'inventory-deduct',
  'marketplace.push': 'marketplace-push',
  'ajio.token-refresh': 'ajio-token-refresh',
};

export function workflowIdFor(envelope: Pick<Envelope, 'type' | 'accountId' | 'idempotencyKey'>): string {
  return `${envelope.type}/${envelope.accountId}/${envelope.idempotencyKey}`;
}
