/**
 * Reads from the marketplaces into PostgreSQL: orders, returns, payouts and document metadata. Each
 * resource keeps a cursor per account; pages are stored as they arrive, and the cursor moves only once
 * every page is stored, so a failed run re-reads rather than skips. Each stored page is heartbeated
 * with the next page's token (SyncCheckpoint), so a retried attempt resumes where the last one got to. Orders
 * are read by their last change (`updatedAt`), so a later cancellation or return is read too.
 *
 * Orders and returns move stock: each page is stored in one transaction with its stock movements
 * and its outbox rows (src/db/order-stock.ts), which are sent as soon as it has committed.
 */
import { Context } from '@temporalio/activity';
import { advanceSyncCursor, syncCursor, upsertPayouts } from '../db/marketplace-data';
import { storeOrderPage, storeReturnPage, type StoredPage } from '../db/order-stock';
import type { ReadItem, ReadResource } from '../contracts/marketplace-records';
import type { Marketplace } from '../contracts/marketplaces';
import { forAccount } from './account-guard';
import { storeDocumentList } from './documents';
import type { ActivityDeps } from './activity-deps';
import { pageOutbox, sendOutbox } from './stock-outbox';

export interface SyncInput {
  accountId: string;
  marketplace: Marketplace;
  /** When the work was due; a first sync reads back from here. */
  dueAt: string;
}

export interface SyncResult {
  stored: number;
}

/** How far back a first sync of an account reads. */
const FIRST_SYNC_LOOKBACK_MS = 30 * 24 * 3_600_000;

interface ResourceSync<R extends ReadResource> {
  resource: R;
  /** What the cursor follows: the time the marketplace reads `since` (orders: `updatedSince`) by. */
  timeOf: (item: ReadItem<R>) => string;
  /** Stores one page; a page that moved stock returns its outbox rows, to send now it has committed. */
  store: (deps: ActivityDeps, accountId: string, items: ReadItem<R>[]) => Promise<StoredPage | void>;
}

/**
 * How far a paged read got, as the activity heartbeats it after each stored page: a retried attempt
 * (Temporal hands it the last details) resumes at `pageToken` instead of reading from page 1 again,
 * which an account with more pages than the marketplace's page budget would never get past.
 */
export interface SyncCheckpoint {
  resource: ReadResource;
  /** The `since` the paging started from (page tokens belong to it). */
  since: string;
  /** The page after the last one stored; null once every page is stored. */
  pageToken: string | null;
  /** The newest time stored so far: where the cursor moves once every page is stored. */
  latest: string;
  stored: number;
}

function checkpointOf(resource: ReadResource, details: unknown): SyncCheckpoint | undefined {
  const checkpoint = details as Partial<SyncCheckpoint> | undefined;
  const valid =
    checkpoint?.resource === resource &&
    typeof checkpoint.since === 'string' &&
    typeof checkpoint.latest === 'string' &&
    typeof checkpoint.stored === 'number' &&
    (checkpoint.pageToken === null || typeof checkpoint.pageToken === 'string');
  return valid ? (checkpoint as SyncCheckpoint) : undefined;
}

/** Where this attempt starts: the last attempt's checkpoint, or the account's cursor at page 1. */
async function startOf(deps: ActivityDeps, input: SyncInput, resource: ReadResource): Promise<SyncCheckpoint> {
  const resumed = checkpointOf(resource, Context.current().info.heartbeatDetails);
  if (resumed) return resumed;
  const since =
    (await syncCursor(deps.pool, input.accountId, resource)) ??
    new Date(Date.parse(input.dueAt) - FIRST_SYNC_LOOKBACK_MS);
  return { resource, since: since.toISOString(), pageToken: '', latest: since.toISOString(), stored: 0 };
}

async function syncResource<R extends ReadResource>(
  deps: ActivityDeps,
  input: SyncInput,
  { resource, timeOf, store }: ResourceSync<R>,
): Promise<SyncResult> {
  const checkpoint = await startOf(deps, input, resource);
  const client = deps.marketplaces.clients[input.marketplace];
  // pageToken '' is page 1; null means an earlier attempt stored every page and only the cursor is left.
  if (checkpoint.pageToken !== null) {
    await forAccount(deps, input.accountId, async () => {
      const pages = client.pages(
        input.accountId,
        resource,
        new Date(checkpoint.since),
        checkpoint.pageToken || undefined,
      );
      for await (const { items, nextPageToken } of pages) {
        const outbox = await store(deps, input.accountId, items);
        if (outbox) await sendOutbox(deps, outbox.claims);
        checkpoint.stored += items.length;
        for (const item of items) {
          if (Date.parse(timeOf(item)) > Date.parse(checkpoint.latest)) checkpoint.latest = timeOf(item);
        }
        checkpoint.pageToken = nextPageToken;
        Context.current().heartbeat(checkpoint);
      }
    });
  }
  // `since` is inclusive: the newest item is read again next time and its upsert changes nothing.
  await advanceSyncCursor(deps.pool, input.accountId, resource, new Date(checkpoint.latest));
  return { stored: checkpoint.stored };
}

export function syncActivities(deps: ActivityDeps) {
  return {
    syncOrders: (input: SyncInput) =>
      syncResource(deps, input, {
        resource: 'orders',
        timeOf: (o) => o.updatedAt,
        store: (d, accountId, orders) => storeOrderPage(d.pool, accountId, orders, pageOutbox(d)),
      }),
    syncReturns: (input: SyncInput) =>
      syncResource(deps, input, {
        resource: 'returns',
        timeOf: (r) => r.createdAt,
        store: (d, accountId, returns) => storeReturnPage(d.pool, accountId, returns, pageOutbox(d)),
      }),
    syncPayouts: (input: SyncInput) =>
      syncResource(deps, input, {
        resource: 'payouts',
        timeOf: (p) => p.paidAt,
        store: async (d, accountId, payouts) => void (await upsertPayouts(d.pool, accountId, payouts)),
      }),
    syncDocumentList: (input: SyncInput) =>
      syncResource(deps, input, {
        resource: 'documents',
        timeOf: (d) => d.createdAt,
        store: async (d, accountId, documents) => void (await storeDocumentList(d.pool, accountId, documents)),
      }),
  };
}
