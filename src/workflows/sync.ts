/** Reads from a marketplace into PostgreSQL. No saga: every step is an idempotent upsert. */
import type { SyncInput } from '../activities/sync';
import type { Envelope } from '../contracts/envelope';
import { database, downloads, reads } from './activity-options';

const syncInput = ({ accountId, marketplace, dueAt }: Envelope): SyncInput => ({ accountId, marketplace, dueAt });

/** Orders, then returns (a return refers to an order). */
export async function accountSyncWorkflow(envelope: Envelope) {
  const orders = await reads.syncOrders(syncInput(envelope));
  const returns = await reads.syncReturns(syncInput(envelope));
  return { orders: orders.stored, returns: returns.stored };
}

export async function ajioOrdersSyncWorkflow(envelope: Envelope) {
  return { orders: (await reads.syncOrders(syncInput(envelope))).stored };
}

export async function returnsSyncWorkflow(envelope: Envelope) {
  return { returns: (await reads.syncReturns(syncInput(envelope))).stored };
}

export async function payoutSyncWorkflow(envelope: Envelope) {
  return { payouts: (await reads.syncPayouts(syncInput(envelope))).stored };
}

/** Documents downloaded per run; the rest wait for the schedule's next run. */
export const MAX_DOCUMENTS_PER_RUN = 50;

/** Lists new documents, then downloads each one not yet stored, recording its SHA-256. */
export async function documentDownloadWorkflow(envelope: Envelope) {
  const { accountId, marketplace } = envelope;
  await reads.syncDocumentList(syncInput(envelope));
  const pending = await database.documentsToDownload({ accountId, limit: MAX_DOCUMENTS_PER_RUN });
  const downloaded = [];
  for (const documentId of pending) {
    const { sha256 } = await downloads.downloadDocument({ accountId, marketplace, documentId });
    downloaded.push({ documentId, sha256 });
  }
  return { downloaded };
}

/** Orders against payouts; mismatches are recorded under this run's idempotency key. */
export async function reconciliationWorkflow(envelope: Envelope) {
  return database.reconcileOrders({ accountId: envelope.accountId, runKey: envelope.idempotencyKey });
}
