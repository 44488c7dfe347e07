/** Every workflow type, one per message type (WORKFLOW_TYPES in src/queues/messages.ts). */
export { smokeCheckWorkflow } from './smoke-check';
export { ajioTokenRefreshWorkflow } from './token-refresh';
export { inventoryDeductWorkflow } from './inventory-deduct';
export { inventoryPublishWorkflow } from './inventory-publish';
export { inventoryRepairWorkflow } from './inventory-repair';
export { marketplacePushWorkflow } from './marketplace-push';
export {
  accountSyncWorkflow,
  ajioOrdersSyncWorkflow,
  documentDownloadWorkflow,
  payoutSyncWorkflow,
  reconciliationWorkflow,
  returnsSyncWorkflow,
} from './sync';
