/**
 * Stock reservations of the inventory-deduct saga. Each is the saga's record of one message (keyed
 * by its idempotency key) and moves reserved → committed or reserved → released exactly once; the
 * stock itself changes only through movements (stock-movements.ts), keyed by the same message, so
 * retried activities and compensations find the work already done and change nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Pool, PoolClient } from 'pg';
import { SELLER_FAILURES } from '../contracts/failures';
import { applyMovement, movement, type MovementKind } from './stock-movements';
import { inTransaction } from './transaction';

export interface Reservation {
  /** The run's own key: `<message key>@<run scope>` (contracts/sagas.ts reservationKey). */
  key: string;
  sellerId: string;
  accountId: string;
  skuId: string;
  quantity: number;
}

/** The message key a run's reservation key was made from (a key of before runs had none: itself). */
const messageKeyOf = (key: string) => (key.includes('@') ? key.slice(0, key.lastIndexOf('@')) : key);

/** A movement of the deduct saga, keyed by its kind and the message, so each happens once. */
const movementKey = (kind: MovementKind, key: string) => `${kind}:${key}`;

/** The SKU, locked for the check-then-move; refused for good when it is not the seller's. */
async function lockSellersSku(client: PoolClient, sellerId: string, skuId: string): Promise<{ available: number }> {
  const { rows } = await client.query<{ seller_id: string; available: number }>(
    'SELECT seller_id, stock - reserved AS available FROM skus WHERE id = $1 FOR UPDATE',
    [skuId],
  );
  const sku = rows[0];
  if (!sku)
    throw ApplicationFailure.nonRetryable(`SKU ${JSON.stringify(skuId)} does not exist`, SELLER_FAILURES.unknownSku);
  if (sku.seller_id !== sellerId) {
    throw ApplicationFailure.nonRetryable(
      `SKU ${JSON.stringify(skuId)} is not seller ${sellerId}'s`,
      SELLER_FAILURES.foreignSku,
    );
  }
  return sku;
}

/**
 * Reserves stock (a `reserve` movement); a second attempt with the same key changes nothing. A
 * reservation an earlier run of the same message left held (that run failed retryably or was stopped,
 * and compensated nothing) is released first, in the same transaction: a message holds one
 * reservation at a time, whatever number of runs it took.
 */
export async function reserveStock(pool: Pool, reservation: Reservation): Promise<{ available: number }> {
  const { key, sellerId, accountId, skuId, quantity } = reservation;
  return inTransaction(pool, async (client) => {
    // Locked (and checked the seller's) before any release touches it; read again once released.
    await lockSellersSku(client, sellerId, skuId);
    await releaseEarlierRuns(client, key);
    const sku = await lockSellersSku(client, sellerId, skuId);
    const inserted = await client.query(
      `INSERT INTO inventory_reservations (reservation_key, seller_id, account_id, sku_id, quantity, status)
       VALUES ($1, $2, $3, $4, $5, 'reserved') ON CONFLICT (reservation_key) DO NOTHING`,
      [key, sellerId, accountId, skuId, quantity],
    );
    if (inserted.rowCount === 0) return { available: sku.available };
    if (sku.available < quantity) {
      throw ApplicationFailure.nonRetryable(
        `SKU ${skuId} has fewer than ${quantity} units available`,
        'InsufficientStock',
      );
    }
    const moved = await applyMovement(
      client,
      movement({ key: movementKey('reserve', key), sellerId, skuId, kind: 'reserve', quantity, accountId }),
    );
    return { available: moved.available };
  });
}

/** Releases what other runs of the key's message still hold (none, unless a run stopped half-way). */
async function releaseEarlierRuns(client: PoolClient, key: string): Promise<void> {
  const prefix = `${messageKeyOf(key)}@`;
  const { rows } = await client.query<{ reservation_key: string }>(
    `SELECT reservation_key FROM inventory_reservations
      WHERE left(reservation_key, length($1)) = $1 AND reservation_key <> $2 AND status = 'reserved'`,
    [prefix, key],
  );
  for (const row of rows) await settle(client, row.reservation_key, 'release');
}

/**
 * Moves a reservation out of `reserved` exactly once, with its movement; false if it had already
 * left it.
 */
async function settleReservation(pool: Pool, key: string, kind: 'commit' | 'release'): Promise<boolean> {
  return inTransaction(pool, (client) => settle(client, key, kind));
}

async function settle(client: PoolClient, key: string, kind: 'commit' | 'release'): Promise<boolean> {
  const status = kind === 'commit' ? 'committed' : 'released';
  const { rows } = await client.query<{ seller_id: string; account_id: string; sku_id: string; quantity: number }>(
    `UPDATE inventory_reservations SET status = $2, updated_at = now()
        WHERE reservation_key = $1 AND status = 'reserved' RETURNING seller_id, account_id, sku_id, quantity`,
    [key, status],
  );
  const settled = rows[0];
  if (!settled) return false;
  await applyMovement(
    client,
    movement({
      key: movementKey(kind, key),
      sellerId: settled.seller_id,
      skuId: settled.sku_id,
      kind,
      quantity: settled.quantity,
      accountId: settled.account_id,
    }),
  );
  return true;
}

/** Gives reserved stock back; a reservation already released or committed is left alone. */
export const releaseReservation = (pool: Pool, key: string): Promise<boolean> =>
  settleReservation(pool, key, 'release');

/** Where a reservation stands: reserved, committed or released; undefined when it was never made. */
export async function reservationStatus(pool: Pool, key: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ status: string }>(
    'SELECT status FROM inventory_reservations WHERE reservation_key = $1',
    [key],
  );
  return rows[0]?.status;
}

/** Turns the reservation into a deduction: the units leave stock and reserved alike. */
export const commitReservation = (pool: Pool, key: string): Promise<boolean> => settleReservation(pool, key, 'commit');

export interface DesiredListing {
  /** Our SKU id, whose quantity the versioned push computes. */
  skuId: string;
  /** The SKU as the marketplace knows it. */
  sku: string;
  pricePaise: number;
  status: 'active' | 'inactive';
}

/**
 * The listings an account should show (price and status; quantity follows stock), by external id:
 * at most `limit`, after `afterSku` when given (a keyset, so a large catalogue is read chunk by chunk).
 */
export async function desiredListings(
  pool: Pool,
  accountId: string,
  limit: number,
  afterSku?: string,
): Promise<DesiredListing[]> {
  const { rows } = await pool.query(
    `SELECT sku_id, external_id, price_paise, status FROM listings
      WHERE account_id = $1 AND ($3::text IS NULL OR external_id > $3)
      ORDER BY external_id LIMIT $2`,
    [accountId, limit, afterSku ?? null],
  );
  return rows.map((row) => ({
    skuId: row.sku_id,
    sku: row.external_id,
    pricePaise: Number(row.price_paise),
    status: row.status,
  }));
}
