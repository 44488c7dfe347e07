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

type WorkflowIdentity = Pick<Envelope, 'type' | 'accountId' | 'idempotencyKey'>;

/**
 * The idempotency key without what the id already says: producers' keys begin with `<type>:` and most
 * go on with `<accountId>:` (`inventory.deduct:A-7:20261122T1005Z`), which the id's first two parts
 * name. A key that does not begin with its type is kept whole.
 */
function businessKey({ type, accountId, idempotencyKey }: WorkflowIdentity): string {
  if (!idempotencyKey.startsWith(`${type}:`)) return idempotencyKey;
  const afterType = idempotencyKey.slice(type.length + 1);
  if (!afterType) return idempotencyKey;
  const afterAccount = afterType.startsWith(`${accountId}:`) ? afterType.slice(accountId.length + 1) : afterType;
  return afterAccount || afterType;
}

/**
 * The workflow id of a message: `<type>/<accountId>/<key>`, the key without the type and account it
 * repeats (`inventory.deduct/A-7/20261122T1005Z`). A pure function of the business identity, so a
 * redelivered or duplicated message attaches to the same execution.
 */
export function workflowIdFor(envelope: WorkflowIdentity): string {
  return `${envelope.type}/${envelope.accountId}/${businessKey(envelope)}`;
}

/**
 * The id the same message had before ids dropped the repetition (`<type>/<accountId>/<whole key>`),
 * when it differs: its runs, open or closed, and its completion record may live under that id
 * (docs/messages.md, "Workflow ids"). Undefined when both ids are the same.
 */
export function legacyWorkflowIdFor(envelope: WorkflowIdentity): string | undefined {
  const legacy = `${envelope.type}/${envelope.accountId}/${envelope.idempotencyKey}`;
  return legacy === workflowIdFor(envelope) ? undefined : legacy;
}
