/**
 * Reads from the marketplaces into PostgreSQL: orders, returns, payouts and document metadata. Each
 * resource keeps a cursor per account; pages are stored as they arrive (heartbeating), and the
 * cursor moves only once every page is stored, so a failed run re-reads rather than skips.
 */
import { Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { advanceSyncCursor, syncCursor, upsertOrders, upsertPayouts, upsertReturns } from '../db/marketplace-data';
import type { ReadItem, ReadResource } from '../contracts/marketplace-records';
import type { Marketplace } from '../contracts/marketplaces';
import { forAccount } from './account-guard';
import { storeDocumentList } from './documents';
import type { ActivityDeps } from './activity-deps';

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
  timeOf: (item: ReadItem<R>) => string;
  store: (pool: Pool, accountId: string, items: ReadItem<R>[]) => Promise<unknown>;
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
      await store(deps.pool, input.accountId, page);
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
      syncResource(deps, input, { resource: 'orders', timeOf: (o) => o.orderedAt, store: upsertOrders }),
    syncReturns: (input: SyncInput) =>
      syncResource(deps, input, { resource: 'returns', timeOf: (r) => r.createdAt, store: upsertReturns }),
    syncPayouts: (input: SyncInput) =>
      syncResource(deps, input, { resource: 'payouts', timeOf: (p) => p.paidAt, store: upsertPayouts }),
    syncDocumentList: (input: SyncInput) =>
      syncResource(deps, input, { resource: 'documents', timeOf: (d) => d.createdAt, store: storeDocumentList }),
  };
}
