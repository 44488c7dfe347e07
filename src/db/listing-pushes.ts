/**
 * The versioned push's SQL (docs/inventory.md, "The versioned push"): one transaction on a client of
 * its own that locks the listings (FOR UPDATE, in SKU order) and share-locks their SKUs (FOR SHARE, in
 * id order) for as long as one marketplace call takes, so no stock change lands while a push is in
 * flight and two pushes of one listing never cross; then records what the marketplace applied, only
 * where it is newer than what was recorded. Also the reads that say what to push where, and the
 * drift findings of the repair.
 */
import type { DatabaseError, Pool, PoolClient } from 'pg';
import type { Marketplace } from '../contracts/marketplaces';
import { inTransaction, type Queryable } from './transaction';

/** A listing as the push sees it once locked: what it last showed and what its SKU has now. */
export interface LockedListing {
  skuId: string;
  /** The SKU as the marketplace knows it. */
  externalId: string;
  /** What we last showed there. */
  quantity: number;
  /** The SKU version the listing last showed (null: never pushed by a versioned push). */
  pushedVersion: string | null;
  /** The SKU's version now. */
  version: string;
  /** stock − reserved now; below zero when oversold. */
  available: number;
}

/** What a push records for a listing the marketplace applied. */
export interface PushedListing {
  skuId: string;
  quantity: number;
  version: string;
}

/** The quantity a listing must show: never below zero, even when the SKU is oversold. */
export const shownQuantity = (listing: Pick<LockedListing, 'available'>): number => Math.max(listing.available, 0);

/** Whether the listing last showed an older version of its SKU than the SKU has now. */
export const isBehind = (listing: Pick<LockedListing, 'pushedVersion' | 'version'>): boolean =>
  listing.pushedVersion === null || BigInt(listing.pushedVersion) < BigInt(listing.version);

/** PostgreSQL gave up waiting for a lock (lock_timeout): another push holds it; worth retrying. */
export const isLockTimeout = (error: unknown): boolean => (error as DatabaseError | undefined)?.code === '55P03';

/**
 * Runs `work` over the locked listings of `skuIds` on the account, in one transaction. `holdMs`
 * bounds both how long it waits for another push's locks and how long it may sit idle holding its
 * own (the marketplace call): a worker that hangs mid-call loses its session and its locks with it.
 * The client is thrown away, not pooled, when its session broke.
 */
export async function withPushLocks<T>(
  pool: Pool,
  { accountId, skuIds, holdMs }: { accountId: string; skuIds: readonly string[]; holdMs: number },
  work: (client: PoolClient, listings: LockedListing[]) => Promise<T>,
): Promise<T> {
  return inTransaction(pool, async (client) => work(client, await lockListings(client, accountId, skuIds)), { holdMs });
}

async function lockListings(
  client: PoolClient,
  accountId: string,
  skuIds: readonly string[],
): Promise<LockedListing[]> {
  const listings = await client.query<{
    sku_id: string;
    external_id: string;
    quantity: number;
    pushed_version: string | null;
  }>(
    `SELECT sku_id, external_id, quantity, pushed_version FROM listings
      WHERE account_id = $1 AND sku_id = ANY($2::text[]) ORDER BY sku_id FOR UPDATE`,
    [accountId, skuIds],
  );
  const skus = await client.query<{ id: string; version: string; available: number }>(
    `SELECT id, version, stock - reserved AS available FROM skus
      WHERE id = ANY($1::text[]) ORDER BY id FOR SHARE`,
    [listings.rows.map((row) => row.sku_id)],
  );
  const bySku = new Map(skus.rows.map((row) => [row.id, row]));
  return listings.rows.map((row) => ({
    skuId: row.sku_id,
    externalId: row.external_id,
    quantity: row.quantity,
    pushedVersion: row.pushed_version,
    version: bySku.get(row.sku_id)!.version,
    available: bySku.get(row.sku_id)!.available,
  }));
}

/**
 * Records what the marketplace now shows, compare-and-set: a listing already recorded at this version
 * or a newer one keeps its record.
 */
export async function recordPushed(client: Queryable, accountId: string, pushed: PushedListing[]): Promise<void> {
  if (pushed.length === 0) return;
  await client.query(
    `UPDATE listings l SET quantity = p.quantity, pushed_version = p.version, pushed_at = now(), updated_at = now()
       FROM unnest($2::text[], $3::int[], $4::bigint[]) AS p (sku_id, quantity, version)
      WHERE l.account_id = $1 AND l.sku_id = p.sku_id
        AND (l.pushed_version IS NULL OR l.pushed_version < p.version)`,
    [accountId, pushed.map((p) => p.skuId), pushed.map((p) => p.quantity), pushed.map((p) => p.version)],
  );
}

/** Whose the account and the SKUs are: the account's seller (undefined: no such account) and each SKU's. */
export async function ownersOf(
  db: Queryable,
  accountId: string,
  skuIds: readonly string[],
): Promise<{ accountSeller?: string; skuSellers: Map<string, string> }> {
  const account = await db.query<{ seller_id: string }>('SELECT seller_id FROM seller_accounts WHERE id = $1', [
    accountId,
  ]);
  const skus = await db.query<{ id: string; seller_id: string }>(
    'SELECT id, seller_id FROM skus WHERE id = ANY($1::text[])',
    [skuIds],
  );
  return {
    accountSeller: account.rows[0]?.seller_id,
    skuSellers: new Map(skus.rows.map((row) => [row.id, row.seller_id])),
  };
}

/** The seller's accounts we can act for (enabled, authorised) that list the SKU, in account order. */
export async function accountsListingSku(
  db: Queryable,
  sellerId: string,
  skuId: string,
): Promise<{ accountId: string; marketplace: Marketplace }[]> {
  const { rows } = await db.query<{ account_id: string; marketplace: Marketplace }>(
    `SELECT l.account_id, a.marketplace FROM listings l JOIN seller_accounts a ON a.id = l.account_id
      WHERE l.seller_id = $1 AND l.sku_id = $2 AND a.enabled AND a.status = 'active'
      ORDER BY l.account_id`,
    [sellerId, skuId],
  );
  return rows.map((row) => ({ accountId: row.account_id, marketplace: row.marketplace }));
}

/** Every SKU the account lists, in SKU order. */
export async function skusListedBy(db: Queryable, accountId: string): Promise<string[]> {
  const { rows } = await db.query<{ sku_id: string }>(
    'SELECT sku_id FROM listings WHERE account_id = $1 ORDER BY sku_id',
    [accountId],
  );
  return rows.map((row) => row.sku_id);
}

/** Each listing's external id and the version it last showed, read without locks (the repair's "before"). */
export async function listingPushStates(
  db: Queryable,
  accountId: string,
  skuIds: readonly string[],
): Promise<Map<string, { externalId: string; pushedVersion: string | null }>> {
  const { rows } = await db.query<{ sku_id: string; external_id: string; pushed_version: string | null }>(
    'SELECT sku_id, external_id, pushed_version FROM listings WHERE account_id = $1 AND sku_id = ANY($2::text[])',
    [accountId, skuIds],
  );
  return new Map(rows.map((row) => [row.sku_id, { externalId: row.external_id, pushedVersion: row.pushed_version }]));
}

export type DriftOutcome = 'repaired' | 'repair_failed' | 'missing_at_marketplace';

export interface DriftFinding {
  runKey: string;
  sellerId: string;
  accountId: string;
  skuId: string;
  externalId: string;
  /** What the marketplace showed; null when it does not know the listing (or was not read). */
  marketplaceQuantity: number | null;
  expectedQuantity: number;
  outcome: DriftOutcome;
  detail?: string;
}

/** Once per run and listing: a retried run finds its findings already there and adds none. */
export async function recordDriftFindings(db: Queryable, findings: DriftFinding[]): Promise<void> {
  for (const f of findings) {
    await db.query(
      `INSERT INTO drift_findings
         (run_key, seller_id, account_id, sku_id, external_id, marketplace_quantity, expected_quantity, outcome, detail)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (run_key, account_id, sku_id) DO NOTHING`,
      [
        f.runKey,
        f.sellerId,
        f.accountId,
        f.skuId,
        f.externalId,
        f.marketplaceQuantity,
        f.expectedQuantity,
        f.outcome,
        f.detail ?? null,
      ],
    );
  }
}
