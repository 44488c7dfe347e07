/**
 * Reads from the marketplaces into PostgreSQL: orders, returns, payouts and document metadata. Each
 * resource keeps a cursor per account; pages are stored as they arrive (heartbeating), and the
 * cursor moves only once every page is stored, so a failed run re-reads rather than skips. Orders
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

async function syncResource<R extends ReadResource>(
  deps: ActivityDeps,
  input: SyncInput,
  { resource, timeOf, store }: ResourceSync<R>,
): Promise<SyncResult> {
  const since =
    (await syncCursor(deps.pool, input.accountId, resource)) ??
    new Date(Date.parse(input.dueAt) - FIRST_SYNC_LOOKBACK_MS);
  let latest = since;
  let stored = 0;
  const client = deps.marketplaces.clients[input.marketplace];
  await forAccount(deps, input.accountId, async () => {
    for await (const page of client.pages(input.accountId, resource, since)) {
      const outbox = await store(deps, input.accountId, page);
      if (outbox) await sendOutbox(deps, outbox.claims);
      stored += page.length;
      for (const item of page) latest = new Date(Math.max(latest.getTime(), Date.parse(timeOf(item))));
      Context.current().heartbeat({ resource, stored });
    }
  });
  // `since` is inclusive: the newest item is read again next time and its upsert changes nothing.
  await advanceSyncCursor(deps.pool, input.accountId, resource, latest);
  return { stored };
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
