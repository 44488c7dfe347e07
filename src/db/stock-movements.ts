/**
 * The one way a SKU's stock or reserved count changes: a movement, recorded once per business event
 * (its key) in the same transaction as the change. A second attempt with the same key finds the row
 * and changes nothing, so re-syncs, retried activities, redelivered messages and replays all apply
 * a movement exactly once. The SKU's version follows every change (a trigger on `skus`).
 */
import type { ClientBase } from 'pg';

export type MovementKind = 'reserve' | 'commit' | 'release' | 'restock' | 'deduct' | 'undo-deduct';

export interface StockMovement {
  /** The business event: kind, marketplace, account, order and line, or the message that asked for it. */
  key: string;
  sellerId: string;
  skuId: string;
  kind: MovementKind;
  /** Units moved, always positive; the deltas say which way. */
  quantity: number;
  stockDelta: number;
  reservedDelta: number;
  accountId?: string;
  orderId?: string;
}

export interface MovementResult {
  /** false: this event had already moved the stock; nothing changed now. */
  applied: boolean;
  movementId: string;
  skuId: string;
  /** The SKU's version after the movement (when applied), or now (when not). */
  version: string;
  available: number;
}

/** What each kind of movement does to (stock, reserved), per unit. */
export const MOVEMENT_DELTAS: Record<MovementKind, { stock: number; reserved: number }> = {
  reserve: { stock: 0, reserved: 1 },
  commit: { stock: -1, reserved: -1 },
  release: { stock: 0, reserved: -1 },
  restock: { stock: 1, reserved: 0 },
  deduct: { stock: -1, reserved: 0 },
  'undo-deduct': { stock: 1, reserved: 0 },
};

/** A movement of `quantity` units of this kind, with its deltas. */
export function movement(fields: Omit<StockMovement, 'stockDelta' | 'reservedDelta'>): StockMovement {
  const delta = MOVEMENT_DELTAS[fields.kind];
  return { ...fields, stockDelta: delta.stock * fields.quantity, reservedDelta: delta.reserved * fields.quantity };
}

/**
 * Applies the movement unless its key was applied before. Call inside a transaction: the key's row is
 * inserted first, so a concurrent attempt with the same key waits for this one and then does nothing.
 * The SKU must be the seller's (the caller checks ownership and says why it refuses).
 */
export async function applyMovement(client: ClientBase, move: StockMovement): Promise<MovementResult> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO stock_movements
       (movement_key, seller_id, sku_id, kind, quantity, stock_delta, reserved_delta, account_id, order_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (movement_key) DO NOTHING RETURNING id`,
    [
      move.key,
      move.sellerId,
      move.skuId,
      move.kind,
      move.quantity,
      move.stockDelta,
      move.reservedDelta,
      move.accountId ?? null,
      move.orderId ?? null,
    ],
  );
  const movementId = inserted.rows[0]?.id;
  if (movementId === undefined) {
    const { rows } = await client.query<{ id: string; version: string; available: number }>(
      `SELECT m.id, s.version, s.stock - s.reserved AS available
         FROM stock_movements m JOIN skus s ON s.id = m.sku_id WHERE m.movement_key = $1`,
      [move.key],
    );
    return {
      applied: false,
      movementId: rows[0]!.id,
      skuId: move.skuId,
      version: rows[0]!.version,
      available: rows[0]!.available,
    };
  }
  const { rows } = await client.query<{ version: string; available: number }>(
    `UPDATE skus SET stock = stock + $3, reserved = reserved + $4, updated_at = now()
      WHERE id = $1 AND seller_id = $2 RETURNING version, stock - reserved AS available`,
    [move.skuId, move.sellerId, move.stockDelta, move.reservedDelta],
  );
  const sku = rows[0];
  if (!sku) throw new Error(`SKU ${move.skuId} is not seller ${move.sellerId}'s`);
  // Timed once the SKU row is ours: a versioned push share-locks the row for its whole call, so every
  // movement timed before a push was sent had committed before it read the stock, and none after had.
  await client.query('UPDATE stock_movements SET version_after = $2, created_at = clock_timestamp() WHERE id = $1', [
    movementId,
    sku.version,
  ]);
  return { applied: true, movementId, skuId: move.skuId, version: sku.version, available: sku.available };
}
