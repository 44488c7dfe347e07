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
  'marketplace.push': 'marketplacePushWorkflow',
  'returns.sync': 'returnsSyncWorkflow',
  'document.download': 'documentDownloadWorkflow',
  'payout.sync': 'payoutSyncWorkflow',
  'reconciliation.run': 'reconciliationWorkflow',
};

export function workflowIdFor(envelope: Pick<Envelope, 'type' | 'accountId' | 'idempotencyKey'>): string {
  return `${envelope.type}/${envelope.accountId}/${envelope.idempotencyKey}`;
}
