/**
 * The run's end state, compared across the systems: every listing the marketplaces show (read through
 * the simulator's control API) against what PostgreSQL wants it to show, and PostgreSQL's stock
 * against what the harness's own inputs say it must be (initial stock, the orders buyers placed and
 * what became of them, the deducts that completed in Temporal). Neither side reads what our code wrote
 * about the marketplace (`listings.quantity`, `pushed_version`, `stock_movements`).
 */
import type { Pool } from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorControl } from '../../../simulator/src/control';
import type { Envelope } from '../../../src/contracts/envelope';
import type { PlacedOrders } from '../marketplace-orders';
import type { ChaosPlan } from '../plan';
import { INITIAL_STOCK, SEEDED_DELIVERED_ORDERS } from '../workload';
import type { Check } from '../verify';

/**
 * Waits until no stock publish is left unsent in the outbox and every queue is empty, three times in a
 * row, or `timeoutMs` passes. An unsent publish whose lease ran out (its sender died after the commit)
 * is sent by `resendExpired`, the claim-sweeper, as the scheduling sweep's next tick would.
 */
export async function waitForPublishes(
  pool: Pool,
  queued: () => Promise<number>,
  resendExpired: () => Promise<void>,
  { timeoutMs, leaseMs }: { timeoutMs: number; leaseMs: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let quiet = 0; quiet < 3;) {
    if (Date.now() > deadline) return false;
    const { rows } = await pool.query<{ unsent: number; expired: number }>(
      `SELECT count(*)::int AS unsent, count(*) FILTER (WHERE lease_expires_at < now())::int AS expired
         FROM dispatch_claims
        WHERE sent_at IS NULL AND NOT needs_attention AND message_type = 'inventory.publish'`,
    );
    const { unsent, expired } = rows[0]!;
    if (expired > 0) await resendExpired();
    quiet = unsent === 0 && (await queued()) === 0 ? quiet + 1 : 0;
    await sleep(Math.min(2_000, leaseMs));
  }
  return true;
}

interface WantedListing {
  sellerId: string;
  accountId: string;
  sku: string;
  available: number;
  pricePaise: number;
  status: string;
}

/** What PostgreSQL wants each listing to show: max(available, 0) of its SKU (docs/inventory.md), its price and status. */
async function wantedListings(pool: Pool): Promise<WantedListing[]> {
  const { rows } = await pool.query<{
    seller_id: string;
    account_id: string;
    external_id: string;
    available: number;
    price_paise: string;
    status: string;
  }>(
    `SELECT l.seller_id, l.account_id, l.external_id, (s.stock - s.reserved)::int AS available, l.price_paise, l.status
       FROM listings l JOIN skus s ON s.id = l.sku_id
      ORDER BY l.account_id, l.external_id`,
  );
  return rows.map((row) => ({
    sellerId: row.seller_id,
    accountId: row.account_id,
    sku: row.external_id,
    available: Math.max(row.available, 0),
    pricePaise: Number(row.price_paise),
    status: row.status,
  }));
}

/** Every listing of every planned account, as the marketplace shows it, against PostgreSQL. */
export async function listingsCheck(pool: Pool, sim: SimulatorControl, plan: ChaosPlan): Promise<Check> {
  const wanted = await wantedListings(pool);
  const mismatches: string[] = [];
  let compared = 0;
  for (const account of plan.accounts) {
    const { listings } = await sim.seller(account.marketplace, account.accountId);
    const shown = new Map(listings.map((listing) => [listing.sku, listing]));
    const ours = wanted.filter((w) => w.accountId === account.accountId);
    for (const listing of listings.filter((l) => !ours.some((w) => w.sku === l.sku)))
      mismatches.push(
        `${account.marketplace} ${account.sellerId} ${listing.sku}: marketplace ${listing.quantity}, ours (no listing) (listing)`,
      );
    for (const want of ours) {
      const where = `${account.marketplace} ${want.sellerId} ${want.sku}`;
      const listing = shown.get(want.sku);
      compared += 1;
      if (!listing) {
        mismatches.push(`${where}: marketplace (no listing), ours ${want.available} (listing)`);
        continue;
      }
      const fields: [string, unknown, unknown][] = [
        ['available stock', listing.quantity, want.available],
        ['price', listing.pricePaise, want.pricePaise],
        ['status', listing.status, want.status],
      ];
      for (const [field, theirs, ours] of fields)
        if (theirs !== ours) mismatches.push(`${where}: marketplace ${theirs}, ours ${ours} (${field})`);
    }
  }
  return {
    name: `listing mismatches (marketplace vs PostgreSQL, ${compared} listings)`,
    value: mismatches.length,
    violation: true,
    detail: mismatches,
  };
}

interface StockWant {
  stock: number;
  reserved: number;
}

/**
 * Each SKU's stock and reserved count as the inputs make them: the initial stock; per account the
 * seeded delivered orders (committed) and the first one's return (restocked), once an account sync
 * of that account completed; the buyers' orders by their last status (open: reserved, shipped:
 * committed, cancelled: nothing); and every deduct whose workflow completed (a compensated deduct
 * fails its workflow and leaves nothing).
 */
export function expectedStock(
  plan: ChaosPlan,
  orders: PlacedOrders,
  sent: Envelope[],
  completed: (envelope: Envelope) => boolean,
): Map<string, StockWant> {
  const want = new Map<string, StockWant>(
    plan.sellers.flatMap((seller) =>
      seller.skus.map((sku): [string, StockWant] => [sku, { stock: INITIAL_STOCK, reserved: 0 }]),
    ),
  );
  const move = (sku: string, stock: number, reserved: number) => {
    const w = want.get(sku)!;
    want.set(sku, { stock: w.stock + stock, reserved: w.reserved + reserved });
  };
  const synced = new Set(sent.filter((e) => e.type === 'account.sync' && completed(e)).map((e) => e.accountId));
  for (const account of plan.accounts)
    if (synced.has(account.accountId)) move(account.skus[0]!, -(SEEDED_DELIVERED_ORDERS - 1), 0);
  for (const { order, status } of orders.placed)
    for (const line of order.lines) {
      if (status === 'created') move(line.skuId, 0, line.quantity);
      if (status === 'shipped') move(line.skuId, -line.quantity, 0);
    }
  for (const envelope of sent)
    if (envelope.type === 'inventory.deduct' && completed(envelope))
      move(String(envelope.payload.skuId), -Number(envelope.payload.quantity), 0);
  return want;
}

/** PostgreSQL's stock and reserved count per SKU against `expectedStock`. */
export async function stockCheck(pool: Pool, want: Map<string, StockWant>): Promise<Check> {
  const { rows } = await pool.query<{ id: string; stock: number; reserved: number }>(
    'SELECT id, stock, reserved FROM skus WHERE id = ANY($1) ORDER BY id',
    [[...want.keys()]],
  );
  const found = new Map(rows.map((row) => [row.id, row]));
  const wrong = [...want].flatMap(([sku, w]) => {
    const row = found.get(sku);
    if (!row) return [`${sku}: missing in PostgreSQL`];
    if (row.stock === w.stock && row.reserved === w.reserved) return [];
    return [`${sku}: stock ${row.stock} (inputs say ${w.stock}), reserved ${row.reserved} (inputs say ${w.reserved})`];
  });
  return {
    name: 'stock not matching the inputs (orders, deducts)',
    value: wrong.length,
    violation: true,
    detail: wrong,
  };
}
