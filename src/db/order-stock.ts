/**
 * Orders and returns as they move a seller's stock (docs/inventory.md, "An order line's steps"). A
 * page read from a marketplace is stored in ONE transaction with every step its lines take, the
 * stock movements those steps make, and one outbox row (`dispatch_claims`) per SKU whose available
 * count changed: a crash keeps all of it or none of it, and the outbox row is sent after the commit.
 *
 * Every step is an `UPDATE … WHERE stock_state = <from>` followed by its movement (`applyMovement`,
 * keyed by the step's business identity), so a re-sync, a retried activity or a redelivered message
 * finds the line already moved and changes nothing. The SKU rows a page will change are locked first,
 * in id order, so syncs of two accounts of one seller wait for each other instead of deadlocking.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ReadItem } from '../contracts/marketplace-records';
import type { Marketplace } from '../contracts/marketplaces';
import { insertClaims, type Claim, type Lease } from './dispatch-claims';
import { applyMovement, movement, type MovementKind, type MovementResult } from './stock-movements';
import { inTransaction } from './transaction';

export type StockState = 'none' | 'reserved' | 'committed' | 'released' | 'restocked';

/** The account whose orders are being stored: its seller owns the stock they move. */
export interface StockAccount {
  accountId: string;
  sellerId: string;
  marketplace: Marketplace;
}

/**
 * A SKU the outbox announces: its available count changed, or an order of it was first seen (the
 * marketplace moved that listing itself, see StockLedger.touch).
 */
export interface StockChange {
  skuId: string;
  /** The SKU's version after the page's last change of it. */
  version: number;
  /**
   * The newest movement of the SKU in this page: the announcement's identity. None for a SKU only
   * the marketplace moved (its new version identifies the announcement then).
   */
  movementId?: string;
}

/** How a page's stock changes become outbox rows (built by the caller, inserted in the page's transaction). */
export interface Outbox {
  claimsFor: (account: StockAccount, changes: StockChange[]) => Claim[];
  lease: Lease;
}

export interface StoredPage {
  /** The outbox rows this page's transaction inserted, to send once it has committed. */
  claims: Claim[];
}

interface Step {
  from: StockState;
  to: StockState;
  kind: MovementKind;
}

const RESERVE: Step = { from: 'none', to: 'reserved', kind: 'reserve' };
const COMMIT: Step = { from: 'reserved', to: 'committed', kind: 'commit' };
const RELEASE: Step = { from: 'reserved', to: 'released', kind: 'release' };
const RESTOCK: Step = { from: 'committed', to: 'restocked', kind: 'restock' };
/** A cancellation, a return: units not yet shipped are released, shipped ones come back into stock. */
const BACK_TO_STOCK: readonly Step[] = [RELEASE, RESTOCK];

type OrderStage = 'open' | 'shipped' | 'cancelled' | 'returned';

function orderStage(status: string): OrderStage {
  switch (status.toLowerCase()) {
    case 'shipped':
    case 'delivered':
      return 'shipped';
    case 'cancelled':
    case 'canceled':
      return 'cancelled';
    case 'returned':
      return 'returned';
    default:
      return 'open';
  }
}

const RECEIVED_RETURN_STATUSES = ['received', 'completed'];

/**
 * The steps a line is offered, in order; each moves only from its own `from`, so at most the ones
 * that follow from the line's state happen. A line is reserved only when this transaction stored it
 * (first seen): lines stored before stock followed orders, or first seen cancelled, stay `none`.
 */
function stepsFor(stage: OrderStage, returnReceived: boolean, firstSeen: boolean): Step[] {
  const steps: Step[] = [];
  if (firstSeen && stage !== 'cancelled') steps.push(RESERVE);
  if (stage === 'shipped') steps.push(COMMIT);
  if (stage === 'cancelled' || stage === 'returned' || returnReceived) steps.push(...BACK_TO_STOCK);
  return steps;
}

/** Can any of these steps start from the line's state? */
const canMove = (steps: readonly Step[], state: StockState) => steps.some((step) => step.from === state);

const MOVEMENT_KEY = /^[A-Za-z0-9_.:-]{1,200}$/;

/**
 * A line step's business identity: `<kind>:<marketplace>:<account>:<order>:<sku>`. Order and SKU ids
 * are the marketplace's and ours, free text: one that is long, holds other characters, or holds `:`
 * (which would make two different lines join into one key) is hashed, deterministically.
 */
export function lineMovementKey(kind: MovementKind, account: StockAccount, orderId: string, skuId: string): string {
  const parts = [kind, account.marketplace, account.accountId, orderId, skuId];
  const key = parts.join(':');
  const unambiguous = !orderId.includes(':') && !skuId.includes(':');
  if (unambiguous && MOVEMENT_KEY.test(key)) return key;
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

async function stockAccount(client: PoolClient, accountId: string): Promise<StockAccount> {
  const { rows } = await client.query<{ seller_id: string; marketplace: Marketplace }>(
    'SELECT seller_id, marketplace FROM seller_accounts WHERE id = $1',
    [accountId],
  );
  if (!rows[0]) throw new Error(`account ${accountId} does not exist`);
  return { accountId, sellerId: rows[0].seller_id, marketplace: rows[0].marketplace };
}

interface LineRef {
  orderId: string;
  skuId: string;
}

interface LineToMove extends LineRef {
  steps: Step[];
}

const lineId = ({ orderId, skuId }: LineRef) => JSON.stringify([orderId, skuId]);

/**
 * Tracks what the page's movements did to each SKU's available count, and which SKUs had an order
 * line seen for the first time.
 */
class StockLedger {
  private readonly before = new Map<string, number>();
  private readonly last = new Map<string, MovementResult>();
  private readonly touched = new Set<string>();

  /**
   * Locks the SKU rows in id order (every writer of stock locks in this order, so none deadlocks)
   * and remembers each one's available count before this transaction moves it.
   */
  async lock(client: PoolClient, skuIds: Iterable<string>): Promise<void> {
    const ids = [...new Set(skuIds)].sort();
    if (ids.length === 0) return;
    const { rows } = await client.query<{ id: string; available: number }>(
      'SELECT id, stock - reserved AS available FROM skus WHERE id = ANY($1) ORDER BY id FOR UPDATE',
      [ids],
    );
    for (const row of rows) this.before.set(row.id, row.available);
  }

  record(result: MovementResult): void {
    if (result.applied) this.last.set(result.skuId, result);
  }

  /**
   * An order line of this SKU was seen for the first time. The marketplace took the order's units off
   * its own listing when the order was placed (and put them back if it was cancelled), relative to
   * whatever the listing showed then, which may be a push of ours made after the order. Only a push
   * sets it right again, even when our available count ends where it began (an order first seen
   * cancelled, or reserved and released in one page), so the SKU is announced either way.
   */
  touch(skuIds: Iterable<string>): void {
    for (const skuId of skuIds) this.touched.add(skuId);
  }

  /**
   * The SKUs to announce: those whose available count is not what it was when they were locked, and
   * the touched ones. A touched SKU no movement of this page changed gets a new version, so every
   * listing of it is behind and pushed again (under a new key: the marketplace must apply it).
   */
  async changes(client: PoolClient): Promise<StockChange[]> {
    const moved = [...this.last.values()]
      .filter((result) => this.touched.has(result.skuId) || result.available !== this.before.get(result.skuId))
      .map((result) => ({
        skuId: result.skuId,
        version: Number(result.version),
        movementId: result.movementId,
      }));
    const unmoved = [...this.touched].filter((skuId) => !this.last.has(skuId) && this.before.has(skuId)).sort();
    if (unmoved.length === 0) return moved;
    const { rows } = await client.query<{ id: string; version: string }>(
      'UPDATE skus SET version = version + 1, updated_at = now() WHERE id = ANY($1) RETURNING id, version',
      [unmoved],
    );
    return [...moved, ...rows.map((row) => ({ skuId: row.id, version: Number(row.version) }))];
  }
}

/**
 * Moves one line through the steps offered, each an `UPDATE … WHERE stock_state = <from>` that moves
 * it once, and each move the stock movement of its kind.
 */
async function moveLine(client: PoolClient, account: StockAccount, line: LineToMove, ledger: StockLedger) {
  for (const step of line.steps) {
    const { rows } = await client.query<{ quantity: number }>(
      `UPDATE order_lines SET stock_state = $5
        WHERE account_id = $1 AND order_id = $2 AND sku_id = $3 AND stock_state = $4
        RETURNING quantity`,
      [account.accountId, line.orderId, line.skuId, step.from, step.to],
    );
    if (!rows[0]) continue;
    const move = movement({
      key: lineMovementKey(step.kind, account, line.orderId, line.skuId),
      sellerId: account.sellerId,
      skuId: line.skuId,
      kind: step.kind,
      quantity: rows[0].quantity,
      accountId: account.accountId,
      orderId: line.orderId,
    });
    ledger.record(await applyMovement(client, move));
  }
}

async function moveLines(client: PoolClient, account: StockAccount, lines: LineToMove[], ledger: StockLedger) {
  const ordered = [...lines].sort((a, b) => (a.skuId === b.skuId ? cmp(a.orderId, b.orderId) : cmp(a.skuId, b.skuId)));
  for (const line of ordered) await moveLine(client, account, line, ledger);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function writeOutbox(client: PoolClient, account: StockAccount, ledger: StockLedger, outbox: Outbox) {
  const changes = await ledger.changes(client);
  if (changes.length === 0) return [];
  return insertClaims(client, outbox.claimsFor(account, changes), outbox.lease);
}

/** The newest read of each order (a page may, in principle, hold one twice), in id order for row locks. */
function latestOrders(orders: ReadItem<'orders'>[]): ReadItem<'orders'>[] {
  const byId = new Map<string, ReadItem<'orders'>>();
  for (const order of orders) {
    const seen = byId.get(order.orderId);
    if (!seen || Date.parse(order.updatedAt) >= Date.parse(seen.updatedAt)) byId.set(order.orderId, order);
  }
  return [...byId.values()].sort((a, b) => cmp(a.orderId, b.orderId));
}

/** Keeps each order's newest status: a read older than the stored one (a slow concurrent sync) changes nothing. */
async function upsertOrderRows(client: PoolClient, accountId: string, orders: ReadItem<'orders'>[]) {
  await client.query(
    `INSERT INTO orders (account_id, external_id, status, total_paise, ordered_at, updated_at)
     SELECT $1, o."orderId", o.status, o."totalPaise", o."orderedAt", o."updatedAt"
       FROM jsonb_to_recordset($2::jsonb)
         AS o("orderId" text, status text, "totalPaise" bigint, "orderedAt" timestamptz, "updatedAt" timestamptz)
     ON CONFLICT (account_id, external_id) DO UPDATE
       SET status = EXCLUDED.status, total_paise = EXCLUDED.total_paise, updated_at = EXCLUDED.updated_at,
           synced_at = now()
       WHERE orders.updated_at IS NULL OR orders.updated_at <= EXCLUDED.updated_at`,
    [accountId, JSON.stringify(orders.map(({ lines: _lines, ...order }) => order))],
  );
}

interface ResolvedLine extends LineRef {
  quantity: number;
}

/**
 * Each line's SKU within the account's seller: the account's listing the marketplace knows by that
 * code, else the seller's own SKU of that id. Lines of one SKU in one order add up. Lines naming
 * nothing of this seller's (another seller's SKU included) are counted and left out.
 */
async function resolveLines(client: PoolClient, account: StockAccount, orders: ReadItem<'orders'>[]) {
  const lines = orders.flatMap((order) => order.lines.map((line) => ({ orderId: order.orderId, ...line })));
  const { rows } = await client.query<{ order_id: string; sku_id: string | null; quantity: number; lines: number }>(
    `SELECT l."orderId" AS order_id, coalesce(li.sku_id, s.id) AS sku_id,
            sum(l.quantity)::int AS quantity, count(*)::int AS lines
       FROM jsonb_to_recordset($3::jsonb) AS l("orderId" text, sku text, quantity integer)
       LEFT JOIN listings li ON li.account_id = $1 AND li.external_id = l.sku
       LEFT JOIN skus s ON s.seller_id = $2 AND s.id = l.sku
      GROUP BY 1, 2`,
    [account.accountId, account.sellerId, JSON.stringify(lines)],
  );
  const resolved: ResolvedLine[] = rows
    .filter((row) => row.sku_id !== null)
    .map((row) => ({ orderId: row.order_id, skuId: row.sku_id!, quantity: row.quantity }));
  const unknownSkuLines = rows.filter((row) => row.sku_id === null).reduce((sum, row) => sum + row.lines, 0);
  return { resolved, unknownSkuLines };
}

async function lineStates(client: PoolClient, accountId: string, orderIds: string[]) {
  const { rows } = await client.query<{ order_id: string; sku_id: string; stock_state: StockState }>(
    'SELECT order_id, sku_id, stock_state FROM order_lines WHERE account_id = $1 AND order_id = ANY($2)',
    [accountId, orderIds],
  );
  return new Map(rows.map((row) => [lineId({ orderId: row.order_id, skuId: row.sku_id }), row.stock_state]));
}

/** Orders with a return received (or completed), stored by an earlier returns sync. */
async function ordersWithReceivedReturns(client: PoolClient, accountId: string, orderIds: string[]) {
  const { rows } = await client.query<{ order_id: string }>(
    `SELECT DISTINCT order_id FROM returns
      WHERE account_id = $1 AND order_id = ANY($2) AND lower(status) = ANY($3)`,
    [accountId, orderIds, RECEIVED_RETURN_STATUSES],
  );
  return new Set(rows.map((row) => row.order_id));
}

/** Stores the lines seen for the first time; returns those this transaction stored (not a concurrent one). */
async function insertNewLines(client: PoolClient, account: StockAccount, lines: ResolvedLine[]) {
  if (lines.length === 0) return new Set<string>();
  const { rows } = await client.query<{ order_id: string; sku_id: string }>(
    `INSERT INTO order_lines (account_id, seller_id, order_id, sku_id, quantity)
     SELECT $1, $2, l."orderId", l."skuId", l.quantity
       FROM jsonb_to_recordset($3::jsonb) AS l("orderId" text, "skuId" text, quantity integer)
     ON CONFLICT (account_id, order_id, sku_id) DO NOTHING
     RETURNING order_id, sku_id`,
    [account.accountId, account.sellerId, JSON.stringify(lines)],
  );
  return new Set(rows.map((row) => lineId({ orderId: row.order_id, skuId: row.sku_id })));
}

/**
 * Stores a page of orders and moves their lines' stock, in one transaction (see the file's comment).
 * Returns the outbox rows to send once committed, and how many lines named no SKU of the seller's.
 */
export function storeOrderPage(
  pool: Pool,
  accountId: string,
  page: ReadItem<'orders'>[],
  outbox: Outbox,
): Promise<StoredPage & { unknownSkuLines: number }> {
  if (page.length === 0) return Promise.resolve({ claims: [], unknownSkuLines: 0 });
  return inTransaction(pool, async (client) => {
    const account = await stockAccount(client, accountId);
    const orders = latestOrders(page);
    const orderIds = orders.map((order) => order.orderId);
    await upsertOrderRows(client, accountId, orders);
    const { rows: stored } = await client.query<{ external_id: string; status: string }>(
      'SELECT external_id, status FROM orders WHERE account_id = $1 AND external_id = ANY($2)',
      [accountId, orderIds],
    );
    const stageOf = new Map(stored.map((row) => [row.external_id, orderStage(row.status)]));
    const { resolved, unknownSkuLines } = await resolveLines(client, account, orders);
    const states = await lineStates(client, accountId, orderIds);
    const returned = await ordersWithReceivedReturns(client, accountId, orderIds);

    // Only the lines that are new, or whose state has a step to take, lock their SKU.
    const offered = (line: ResolvedLine, firstSeen: boolean) =>
      stepsFor(stageOf.get(line.orderId)!, returned.has(line.orderId), firstSeen);
    const fresh = resolved.filter((line) => !states.has(lineId(line)));
    const movable = resolved.filter((line) => {
      const state = states.get(lineId(line));
      return state !== undefined && canMove(offered(line, false), state);
    });
    const ledger = new StockLedger();
    await ledger.lock(
      client,
      [...fresh, ...movable].map((line) => line.skuId),
    );

    const firstSeen = await insertNewLines(client, account, fresh);
    ledger.touch(fresh.filter((line) => firstSeen.has(lineId(line))).map((line) => line.skuId));
    const lines = [...fresh, ...movable].map((line) => ({
      ...line,
      steps: offered(line, firstSeen.has(lineId(line))),
    }));
    await moveLines(client, account, lines, ledger);
    return { claims: await writeOutbox(client, account, ledger, outbox), unknownSkuLines };
  });
}

/**
 * Stores a page of returns; a return received (or completed) brings every line of its order back
 * once: released if it had not shipped, restocked if it had. Same transaction and outbox as orders.
 */
export function storeReturnPage(
  pool: Pool,
  accountId: string,
  page: ReadItem<'returns'>[],
  outbox: Outbox,
): Promise<StoredPage> {
  if (page.length === 0) return Promise.resolve({ claims: [] });
  return inTransaction(pool, async (client) => {
    const account = await stockAccount(client, accountId);
    const returns = [...new Map(page.map((ret) => [ret.returnId, ret])).values()].sort((a, b) =>
      cmp(a.returnId, b.returnId),
    );
    await client.query(
      `INSERT INTO returns (account_id, external_id, order_id, status)
       SELECT $1, r."returnId", r."orderId", r.status
         FROM jsonb_to_recordset($2::jsonb) AS r("returnId" text, "orderId" text, status text)
       ON CONFLICT (account_id, external_id) DO UPDATE SET status = EXCLUDED.status, synced_at = now()`,
      [accountId, JSON.stringify(returns)],
    );
    const received = returns.filter((ret) => RECEIVED_RETURN_STATUSES.includes(ret.status.toLowerCase()));
    const orderIds = [...new Set(received.map((ret) => ret.orderId))];
    if (orderIds.length === 0) return { claims: [] };
    const { rows } = await client.query<{ order_id: string; sku_id: string }>(
      `SELECT order_id, sku_id FROM order_lines
        WHERE account_id = $1 AND order_id = ANY($2) AND stock_state = ANY($3)`,
      [accountId, orderIds, BACK_TO_STOCK.map((step) => step.from)],
    );
    const lines = rows.map((row) => ({ orderId: row.order_id, skuId: row.sku_id, steps: [...BACK_TO_STOCK] }));
    const ledger = new StockLedger();
    await ledger.lock(
      client,
      lines.map((line) => line.skuId),
    );
    await moveLines(client, account, lines, ledger);
    return { claims: await writeOutbox(client, account, ledger, outbox) };
  });
}
