/**
 * For the inventory tests: one seller's SKU listed on several of its accounts, what each marketplace
 * shows and was told (the simulator's ledger), and the oracle of "no push ever showed more than was
 * available": what was available at a moment is derived from the seeded stock and the deducts the
 * test made (when Temporal says each one's reservation was made and undone), never from our tables.
 */
import { randomUUID } from 'node:crypto';
import type { temporal } from '@temporalio/proto';
import type { Pool } from 'pg';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Envelope } from '../../src/contracts/envelope';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { eventually } from './pipeline';
import type { Seller, WorkflowBench } from './workflow-bench';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface ListedSku {
  sellerId: string;
  skuId: string;
  /** One account per marketplace asked for, in that order; each lists the SKU as `<marketplace>-<skuId>`. */
  accounts: Seller[];
}

/** The SKU as an account's marketplace knows it. */
export const externalIdOf = (account: Seller, skuId: string) => `${account.marketplace}-${skuId}`;

/**
 * A fresh seller whose SKU has `stock` units in PostgreSQL (version 1, never pushed by a versioned
 * push) and is listed on one account per marketplace, each showing `stock` at the marketplace.
 */
export async function listedSku(bench: WorkflowBench, stock: number, marketplaces: Marketplace[]): Promise<ListedSku> {
  const id = randomUUID().slice(0, 8);
  const skuId = `INV-${id}`;
  const sellerId = `seller-${id}`;
  await bench.seedSku(skuId, stock, sellerId);
  const accounts: Seller[] = [];
  for (const marketplace of marketplaces) {
    accounts.push(
      await bench.seedSeller({
        sellerId,
        marketplace,
        listings: [{ skuId, externalId: `${marketplace}-${skuId}`, quantity: stock, pricePaise: 10_000 }],
      }),
    );
  }
  return { sellerId, skuId, accounts };
}

/** What each account's marketplace shows for the SKU now, in account order. */
export async function shownQuantities(bench: WorkflowBench, { accounts, skuId }: ListedSku): Promise<number[]> {
  return Promise.all(
    accounts.map(async (account) => {
      const { listings } = await bench.sim.seller(account.marketplace, account.accountId);
      return listings.find((listing) => listing.sku === externalIdOf(account, skuId))!.quantity;
    }),
  );
}

export interface AppliedQuantity {
  accountId: string;
  sku: string;
  quantity: number;
  /** When the marketplace applied it. */
  at: number;
  idempotencyKey: string | null;
}

/** Every quantity the accounts' marketplaces applied, in the order they applied them. */
export async function appliedQuantities(bench: WorkflowBench, accounts: Seller[]): Promise<AppliedQuantity[]> {
  const entries = (
    await Promise.all(
      accounts.map((account) => bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })),
    )
  ).flat();
  return entries
    .sort((a, b) => a.seq - b.seq)
    .flatMap((entry) =>
      entry.applied
        .filter((change) => change.quantity !== undefined)
        .map((change) => ({
          accountId: entry.sellerId,
          sku: change.sku,
          quantity: change.quantity!,
          at: Date.parse(entry.at),
          idempotencyKey: entry.idempotencyKey,
        })),
    );
}

/** A deduct's hold on the stock: from when its reservation was made to when its release may have begun. */
export interface StockHold {
  quantity: number;
  from: number;
  until?: number;
}

const eventMs = (event: HistoryEvent) =>
  Number(event.eventTime!.seconds) * 1_000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);

/**
 * From the deduct's workflow history: its reservation holds `quantity` units from the moment Temporal
 * heard the reserve activity complete (it committed before that) until the release was scheduled
 * (it cannot have happened before). Undefined when it never reserved.
 */
export async function holdOf(bench: WorkflowBench, deduct: Envelope, quantity: number): Promise<StockHold | undefined> {
  const events: HistoryEvent[] =
    (await bench.client.workflow.getHandle(workflowIdFor(deduct)).fetchHistory()).events ?? [];
  const scheduled = (name: string) =>
    events.filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === name);
  const [reserve] = scheduled('reserveStock');
  const reserved = events.find(
    (event) => Number(event.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(reserve?.eventId),
  );
  if (!reserve || !reserved) return undefined;
  const [release] = scheduled('releaseReservation');
  return { quantity, from: eventMs(reserved), until: release ? eventMs(release) : undefined };
}

/** The holds of the deducts that reserved (each its payload's quantity). */
export async function holdsOf(bench: WorkflowBench, deducts: Envelope[]): Promise<StockHold[]> {
  const holds = await Promise.all(deducts.map((deduct) => holdOf(bench, deduct, deduct.payload.quantity as number)));
  return holds.filter((hold): hold is StockHold => hold !== undefined);
}

/**
 * The applied quantities that were above what was available when the marketplace applied them. The
 * bound is an upper one (a hold counts only once it surely began, and no longer once it may have
 * ended), so anything it reports is a real violation.
 */
export function aboveAvailable(applied: AppliedQuantity[], stock: number, holds: StockHold[]): AppliedQuantity[] {
  const availableAt = (at: number) =>
    holds.reduce(
      (left, hold) => (hold.from < at && (hold.until === undefined || at < hold.until) ? left - hold.quantity : left),
      stock,
    );
  return applied.filter((change) => change.quantity > Math.max(availableAt(change.at), 0));
}

/**
 * Waits until a versioned push has read its SKUs and then waited on the marketplace for half a second
 * (its session idle in its transaction since): one held there by a latency fault, not one passing
 * through. A synchronisation point, not an oracle (it does not look at which locks the push took).
 */
export async function pushInFlight(pool: Pool): Promise<void> {
  const held = await eventually(
    async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE '%AS available FROM skus%'
              AND state_change < now() - interval '500 milliseconds'`,
        )
      ).rows[0]!.n,
    (n) => n > 0,
    30_000,
  );
  if (held === 0) throw new Error('no versioned push was seen holding its locks');
}

/** Holds `account`'s next listing update at the marketplace for `ms`: the simulator answers it that late. */
export async function holdNextListingUpdate(bench: WorkflowBench, account: Seller, ms: number): Promise<void> {
  await bench.sim.addFault({
    kind: 'latency',
    ms,
    sellerId: account.accountId,
    operation: 'listings-update',
    times: 1,
  });
}

/** The backends of this database whose statement (ILIKE `statement`) waits for a lock. */
export async function waitingForLock(pool: Pool, statement: string): Promise<{ pid: number }[]> {
  const { rows } = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE $1`,
    [statement],
  );
  return rows;
}

/**
 * PostgreSQL's side of a deduct that completed once: every listing at `left` under the SKU's second
 * version (seeded, then the deduct's), no units held, and the reservation moved reserve → commit.
 */
export async function expectDeductCommitted(bench: WorkflowBench, skuId: string, left: number): Promise<void> {
  const listings = await bench.pool.query('SELECT DISTINCT quantity, pushed_version FROM listings WHERE sku_id = $1', [
    skuId,
  ]);
  expect(listings.rows).toEqual([{ quantity: left, pushed_version: '2' }]);
  const stock = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  expect(stock.rows).toEqual([{ stock: left, reserved: 0 }]);
  const moves = await bench.pool.query('SELECT kind FROM stock_movements WHERE sku_id = $1 ORDER BY id', [skuId]);
  expect(moves.rows.map((row: { kind: string }) => row.kind)).toEqual(['reserve', 'commit']);
}
