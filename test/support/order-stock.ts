/**
 * What the inventory tests expect of orders, derived from the orders a test seeded and what it did
 * to them (never from what the code under test wrote): each order takes one path of docs/inventory.md's
 * "An order line's steps", which fixes what its lines do to stock and reserved, and which movements
 * they make. Also: running the service's sync activities in Temporal's mock activity context, and
 * reading stock, movements and outbox rows back per business effect.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Activities } from '../../src/activities';
import type { MovementKind } from '../../src/db/stock-movements';
import type { Seller } from '../../scripts/harness/sellers';

/**
 * The life of an order as the syncs saw it:
 * - `open`: seen, never shipped, cancelled or returned;
 * - `shipped`: seen open, then shipped/delivered (or first seen so), never back;
 * - `cancelled-before-shipping`, `returned-before-shipping`: seen open, then cancelled / returned;
 * - `back-after-shipping`: seen shipped, then cancelled, returned, or a return received;
 * - `first-seen-cancelled`: cancelled before any sync saw it.
 */
export type OrderPath =
  | 'open'
  | 'shipped'
  | 'cancelled-before-shipping'
  | 'returned-before-shipping'
  | 'back-after-shipping'
  | 'first-seen-cancelled';

/** An order line as the test meant it: our SKU id, whatever code the marketplace line used. */
export interface ExpectedLine {
  skuId: string;
  quantity: number;
}

export interface ExpectedOrder {
  accountId: string;
  orderId: string;
  lines: ExpectedLine[];
  path: OrderPath;
}

/** The movements each path makes, once each, per line. */
const PATH_MOVEMENTS: Record<OrderPath, MovementKind[]> = {
  open: ['reserve'],
  shipped: ['reserve', 'commit'],
  'cancelled-before-shipping': ['reserve', 'release'],
  'returned-before-shipping': ['reserve', 'release'],
  'back-after-shipping': ['reserve', 'commit', 'restock'],
  'first-seen-cancelled': [],
};

/** What each path leaves, per unit: an open order holds its units; a shipped one took them from stock. */
const PATH_EFFECT: Record<OrderPath, { stock: number; reserved: number }> = {
  open: { stock: 0, reserved: 1 },
  shipped: { stock: -1, reserved: 0 },
  'cancelled-before-shipping': { stock: 0, reserved: 0 },
  'returned-before-shipping': { stock: 0, reserved: 0 },
  'back-after-shipping': { stock: 0, reserved: 0 },
  'first-seen-cancelled': { stock: 0, reserved: 0 },
};

export interface SkuStock {
  stock: number;
  reserved: number;
}

/** Per SKU: the seeded stock, less what shipped; reserved, what is sold and not yet shipped. */
export function expectedStock(seeded: Record<string, number>, orders: ExpectedOrder[]): Record<string, SkuStock> {
  const expected: Record<string, SkuStock> = Object.fromEntries(
    Object.entries(seeded).map(([skuId, stock]) => [skuId, { stock, reserved: 0 }]),
  );
  for (const order of orders) {
    for (const line of order.lines) {
      expected[line.skuId]!.stock += PATH_EFFECT[order.path].stock * line.quantity;
      expected[line.skuId]!.reserved += PATH_EFFECT[order.path].reserved * line.quantity;
    }
  }
  return expected;
}

/** `<account> <order> <sku> <kind>` once per movement each line's path makes, sorted. */
export function expectedMovements(orders: ExpectedOrder[]): string[] {
  return orders
    .flatMap((order) =>
      [...new Set(order.lines.map((line) => line.skuId))].flatMap((skuId) =>
        PATH_MOVEMENTS[order.path].map((kind) => `${order.accountId} ${order.orderId} ${skuId} ${kind}`),
      ),
    )
    .sort();
}

/** The movements a path makes on each of its SKUs: a SKU's version moves once per movement. */
export function expectedVersions(orders: ExpectedOrder[], skuIds: string[]): Record<string, number> {
  const versions: Record<string, number> = Object.fromEntries(skuIds.map((skuId) => [skuId, 1]));
  for (const movement of expectedMovements(orders)) versions[movement.split(' ')[2]!]! += 1;
  return versions;
}

export async function stockOf(pool: Pool, skuIds: string[]): Promise<Record<string, SkuStock>> {
  const { rows } = await pool.query<{ id: string; stock: number; reserved: number }>(
    'SELECT id, stock, reserved FROM skus WHERE id = ANY($1)',
    [skuIds],
  );
  return Object.fromEntries(rows.map((row) => [row.id, { stock: row.stock, reserved: row.reserved }]));
}

/** Every movement of these accounts' orders, `<account> <order> <sku> <kind>`, sorted (duplicates kept). */
export async function movementsOf(pool: Pool, accountIds: string[]): Promise<string[]> {
  const { rows } = await pool.query<{ line: string }>(
    `SELECT account_id || ' ' || order_id || ' ' || sku_id || ' ' || kind AS line
       FROM stock_movements WHERE account_id = ANY($1)`,
    [accountIds],
  );
  return rows.map((row) => row.line).sort();
}

export interface OutboxClaim {
  idempotency_key: string;
  sent_at: Date | null;
  claimed_at: Date;
  last_error: string | null;
  envelope: { sellerId: string; payload: { skuId: string; version: number } };
}

/** The order syncs' outbox rows of one seller, oldest first. */
export async function outboxOf(pool: Pool, sellerId: string): Promise<OutboxClaim[]> {
  const { rows } = await pool.query<OutboxClaim>(
    `SELECT idempotency_key, sent_at, claimed_at, last_error, envelope FROM dispatch_claims
      WHERE sweep = 'order-sync' AND envelope->>'sellerId' = $1 ORDER BY claimed_at, idempotency_key`,
    [sellerId],
  );
  return rows;
}

/**
 * Runs a sync activity of the service as Temporal would (heartbeats and all), for one account. Its
 * warnings (a failed attempt, an outbox send SQS refused) are the tests' own doing and stay quiet; a
 * failure still rejects.
 */
export function runSync(
  activities: Activities,
  name: 'syncOrders' | 'syncReturns',
  seller: Seller,
  dueAt = new Date(),
): Promise<{ stored: number }> {
  const input = { accountId: seller.accountId, marketplace: seller.marketplace, dueAt: dueAt.toISOString() };
  const env = new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
  return env.run(activities[name], input) as Promise<{ stored: number }>;
}

/** An ISO time `minutes` ago: seeded orders lie in the past, as the simulator asks. */
export const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
