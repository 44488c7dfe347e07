/** Reads from a marketplace into PostgreSQL. No saga: every step is an idempotent upsert. */
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import type { SyncInput } from '../activities/sync';
import { DOCUMENT_FAILURES, failureReason } from '../contracts/failures';
import type { Envelope } from '../contracts/envelope';
import { MARKETPLACE_NAMES } from '../contracts/marketplaces';
import { database, downloads, reads, withSummary } from './activity-options';

const syncInput = ({ accountId, marketplace, dueAt }: Envelope): SyncInput => ({ accountId, marketplace, dueAt });

/** One paged read of the account's `what` from its marketplace, summarised so on its events. */
function read(sync: typeof reads.syncOrders, what: string, envelope: Envelope) {
  return withSummary(
    sync,
    `read ${what} from ${MARKETPLACE_NAMES[envelope.marketplace]} into PostgreSQL`,
    syncInput(envelope),
  );
}

/** Orders, then returns (a return refers to an order). */
export async function accountSyncWorkflow(envelope: Envelope) {
  const orders = await read(reads.syncOrders, 'orders', envelope);
  const returns = await read(reads.syncReturns, 'returns', envelope);
  return { orders: orders.stored, returns: returns.stored };
}

export async function ajioOrdersSyncWorkflow(envelope: Envelope) {
  return { orders: (await read(reads.syncOrders, 'orders', envelope)).stored };
}

export async function returnsSyncWorkflow(envelope: Envelope) {
  return { returns: (await read(reads.syncReturns, 'returns', envelope)).stored };
}

export async function payoutSyncWorkflow(envelope: Envelope) {
  return { payouts: (await read(reads.syncPayouts, 'payouts', envelope)).stored };
}

/** Documents downloaded per run; the rest wait for the schedule's next run. */
export const MAX_DOCUMENTS_PER_RUN = 50;

/**
 * Lists new documents, then downloads each one not yet stored, recording its SHA-256. A document
 * whose download fails for good does not hold up the others: the rest are downloaded, then the run
 * fails (retryably) naming the ones that failed, so the message is retried and its next run picks up
 * only what is still not stored.
 */
export async function documentDownloadWorkflow(envelope: Envelope) {
  const { accountId, marketplace } = envelope;
  await read(reads.syncDocumentList, 'the document list', envelope);
  const toDownload = `find up to ${MAX_DOCUMENTS_PER_RUN} documents not yet downloaded`;
  const pending = await withSummary(database.documentsToDownload, toDownload, {
    accountId,
    limit: MAX_DOCUMENTS_PER_RUN,
  });
  const downloaded = [];
  const failed: string[] = [];
  for (const [index, documentId] of pending.entries()) {
    const summary = `download document ${documentId} (${index + 1}/${pending.length}) from ${MARKETPLACE_NAMES[marketplace]}`;
    try {
      const { sha256 } = await withSummary(downloads.downloadDocument, summary, { accountId, marketplace, documentId });
      downloaded.push({ documentId, sha256 });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      failed.push(`${documentId} (${failureReason(error)})`);
    }
  }
  if (failed.length > 0) {
    throw ApplicationFailure.create({
      message: `${failed.length} of ${pending.length} documents not downloaded: ${failed.join('; ')}`,
      type: DOCUMENT_FAILURES.notDownloaded,
    });
  }
  return { downloaded };
}

/** Orders against payouts; mismatches are recorded under this run's idempotency key. */
export async function reconciliationWorkflow(envelope: Envelope) {
  return withSummary(database.reconcileOrders, 'reconcile orders against payouts', {
    accountId: envelope.accountId,
    runKey: envelope.idempotencyKey,
  });
}
