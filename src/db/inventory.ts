/**
 * Stock reservations for the inventory-deduct saga. Each is keyed by the message's idempotency key
 * and moves reserved → committed or reserved → released exactly once, so retried activities and
 * compensations find the work already done and change nothing.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { Pool, PoolClient } from 'pg';
import type { Marketplace } from '../contracts/marketplaces';
import { inTransaction } from './transaction';

export interface Reservation {
  key: string;
  accountId: string;
  skuId: string;
  quantity: number;
}

export interface SkuListing {
  accountId: string;
  marketplace: Marketplace;
  /** The SKU as the marketplace knows it. */
  externalId: string;
  /** What we last listed: the quantity a compensation puts back. */
  quantity: number;
}

/** Reserves stock; returns what stays available to sell, which every marketplace is then told. */
export async function reserveStock(pool: Pool, reservation: Reservation): Promise<{ available: number }> {
  return inTransaction(pool, async (client) => {
    // Checked first: the reservation's foreign key would refuse it too, but as an error worth retrying.
    const sku = await client.query('SELECT 1 FROM skus WHERE id = $1', [reservation.skuId]);
    if (sku.rowCount === 0) {
      throw ApplicationFailure.nonRetryable(`SKU ${JSON.stringify(reservation.skuId)} does not exist`, 'UnknownSku');
    }
    const inserted = await client.query(
      `INSERT INTO inventory_reservations (reservation_key, account_id, sku_id, quantity, status)
       VALUES ($1, $2, $3, $4, 'reserved') ON CONFLICT (reservation_key) DO NOTHING`,
      [reservation.key, reservation.accountId, reservation.skuId, reservation.quantity],
    );
    if (inserted.rowCount === 1) {
      const held = await client.query<{ available: number }>(
        `UPDATE skus SET reserved = reserved + $2, updated_at = now()
          WHERE id = $1 AND stock - reserved >= $2 RETURNING stock - reserved AS available`,
        [reservation.skuId, reservation.quantity],
      );
      if (held.rowCount === 0) {
        throw ApplicationFailure.nonRetryable(
          `SKU ${reservation.skuId} has fewer than ${reservation.quantity} units available`,
          'InsufficientStock',
        );
      }
      return { available: held.rows[0]!.available };
    }
    const { rows } = await client.query<{ available: number }>(
      'SELECT stock - reserved AS available FROM skus WHERE id = $1',
      [reservation.skuId],
    );
    return { available: rows[0]!.available };
  });
}

/** Moves a reservation out of `reserved` exactly once; undefined if it had already left it. */
async function settleReservation(client: PoolClient, key: string, status: 'released' | 'committed') {
  const { rows } = await client.query<{ sku_id: string; quantity: number }>(
    `UPDATE inventory_reservations SET status = $2, updated_at = now()
      WHERE reservation_key = $1 AND status = 'reserved' RETURNING sku_id, quantity`,
    [key, status],
  );
  return rows[0];
}

/** Gives reserved stock back; a reservation already released or committed is left alone. */
export async function releaseReservation(pool: Pool, key: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const released = await settleReservation(client, key, 'released');
    if (!released) return false;
    await client.query('UPDATE skus SET reserved = reserved - $2, updated_at = now() WHERE id = $1', [
      released.sku_id,
      released.quantity,
    ]);
    return true;
  });
}

/** Turns the reservation into a deduction and records the new quantity as what every listing shows. */
export async function commitReservation(pool: Pool, key: string): Promise<boolean> {
  return inTransaction(pool, async (client) => {
    const committed = await settleReservation(client, key, 'committed');
    if (!committed) return false;
    await client.query(
      `UPDATE skus SET stock = stock - $2, reserved = reserved - $2, updated_at = now() WHERE id = $1`,
      [committed.sku_id, committed.quantity],
    );
    await client.query(
      `UPDATE listings l SET quantity = s.stock - s.reserved, updated_at = now()
         FROM skus s WHERE s.id = l.sku_id AND l.sku_id = $1`,
      [committed.sku_id],
    );
    return true;
  });
}

/** Listings of a SKU on accounts we can act for (enabled, authorised), in a stable order. */
export async function listingsOfSku(pool: Pool, skuId: string): Promise<SkuListing[]> {
  const { rows } = await pool.query(
    `SELECT l.account_id, a.marketplace, l.external_id, l.quantity
       FROM listings l JOIN seller_accounts a ON a.id = l.account_id
      WHERE l.sku_id = $1 AND a.enabled AND a.status = 'active'
      ORDER BY l.account_id`,
    [skuId],
  );
  return rows.map((row) => ({
    accountId: row.account_id,
    marketplace: row.marketplace,
    externalId: row.external_id,
    quantity: row.quantity,
  }));
}

export interface DesiredListing {
  sku: string;
  quantity: number;
  pricePaise: number;
  status: 'active' | 'inactive';
}

/** The listings an account should show, as the marketplace knows their SKUs. */
export async function desiredListings(pool: Pool, accountId: string, limit: number): Promise<DesiredListing[]> {
  const { rows } = await pool.query(
    `SELECT external_id, quantity, price_paise, status FROM listings WHERE account_id = $1
      ORDER BY external_id LIMIT $2`,
    [accountId, limit],
  );
  return rows.map((row) => ({
    sku: row.external_id,
    quantity: row.quantity,
    pricePaise: Number(row.price_paise),
    status: row.status,
  }));
}
