/**
 * Orders placed at the marketplaces while the run's traffic flows, as buyers place them: a few per
 * seller on one of its accounts (the simulator takes their units off that listing), some shipped and
 * some cancelled later. Account syncs carry them into PostgreSQL, whose stock every other listing of
 * the seller must then show. Planned from the seed; what the simulator accepted is recorded, so the
 * end state can be derived from these inputs rather than from our tables.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulatorError, type SimulatorControl } from '../../simulator/src/control';
import type { PlannedAccount, PlannedMessage, PlannedSeller, Rng } from './plan';

export interface OrderLine {
  skuId: string;
  quantity: number;
}

export type OrderStatus = 'created' | 'shipped' | 'cancelled';

export interface PlannedOrder {
  account: PlannedAccount;
  orderId: string;
  lines: OrderLine[];
  /** When it is placed, as a fraction of the time before the final syncs. */
  placeAt: number;
  /** What happens to it later (and when), if anything. */
  then?: { status: Exclude<OrderStatus, 'created'>; at: number };
}

/** What the simulator made of the planned orders: each order's last status, or refused. */
export interface PlacedOrders {
  placed: { order: PlannedOrder; status: OrderStatus }[];
  refused: { order: PlannedOrder; reason: string }[];
}

/**
 * Two or three orders per seller, each on one of its accounts, of one or two of its SKUs (never its
 * doomed SKU: an order would make its listings be pushed before the planned deduct meets the refusal).
 */
export function planMarketplaceOrders(rng: Rng, sellers: PlannedSeller[]): PlannedOrder[] {
  return sellers.flatMap((seller) => {
    const skus = seller.skus.filter((sku) => sku !== seller.accounts[0]?.doomedSku);
    return Array.from({ length: rng.int(2, 3) }, (_, n): PlannedOrder => {
      const account = rng.pick(seller.accounts);
      const lines = rng.sample(skus, rng.int(1, 2)).map((skuId) => ({ skuId, quantity: rng.int(1, 3) }));
      const placeAt = rng.float(0, 0.6);
      const fate = rng.int(0, 2);
      const then =
        fate === 2 ? undefined : { status: fate === 0 ? 'shipped' : 'cancelled', at: rng.float(placeAt, 0.8) };
      return { account, orderId: `${account.accountId}-mo${n + 1}`, lines, placeAt, then } as PlannedOrder;
    });
  });
}

/**
 * One account sync per account after the producer's last round: every order's last change is seen
 * by a sync that starts after it (the orders' changes all happen before this round is sent).
 */
export function finalSyncs(accounts: PlannedAccount[], firstIndex: number, round: number): PlannedMessage[] {
  return accounts.map((account, n) => ({
    index: firstIndex + n,
    round,
    type: 'account.sync',
    account,
    idempotencyKey: `account.sync:${account.accountId}:final`,
    payload: {},
  }));
}

/** The newest listing update the marketplace applied to one of `skus` on the account, if any. */
async function lastPushSeq(sim: SimulatorControl, account: PlannedAccount, skus: string[]): Promise<number> {
  const entries = await sim.ledger({ sellerId: account.accountId, operation: 'listings-update' });
  const pushes = entries.filter((e) => e.outcome === 'applied' && e.applied.some((c) => skus.includes(c.sku)));
  return Math.max(0, ...pushes.map((e) => e.seq));
}

/**
 * Waits until a push of one of the order's SKUs reached its listing after `sinceSeq`, or `untilMs`
 * (a timestamp). Cancelling after such a push is the interleaving that needs the order's SKUs to be
 * announced even when the order is first seen cancelled (docs/inventory.md): the marketplace puts the
 * units back on top of the push.
 */
async function awaitPushSince(sim: SimulatorControl, order: PlannedOrder, sinceSeq: number, untilMs: number) {
  const skus = order.lines.map((line) => line.skuId);
  while (Date.now() < untilMs && (await lastPushSeq(sim, order.account, skus)) <= sinceSeq) await sleep(500);
}

/** The moment `fraction` of the window is reached. */
const momentOf = (started: number, windowMs: number, fraction: number) => started + fraction * windowMs;

/**
 * One order's life: placed at its moment; later shipped, or cancelled once a push of its SKUs reached
 * its listing (waiting at most until 90 % of the window, so the final syncs still come after). A
 * placing the simulator refuses (409: the listing shows fewer units) is recorded, not retried: a
 * marketplace sells only what it shows.
 */
async function live(sim: SimulatorControl, order: PlannedOrder, started: number, windowMs: number) {
  const { marketplace, accountId } = order.account;
  await sleep(Math.max(0, momentOf(started, windowMs, order.placeAt) - Date.now()));
  const placedAfter = await lastPushSeq(
    sim,
    order.account,
    order.lines.map((line) => line.skuId),
  );
  try {
    await sim.placeOrder(marketplace, accountId, {
      orderId: order.orderId,
      totalPaise: 10_000,
      lines: order.lines.map((line) => ({ sku: line.skuId, quantity: line.quantity })),
    });
  } catch (error) {
    if (!(error instanceof SimulatorError && error.status === 409)) throw error;
    return { order, refused: error.message };
  }
  if (!order.then) return { order, status: 'created' as const };
  await sleep(Math.max(0, momentOf(started, windowMs, order.then.at) - Date.now()));
  if (order.then.status === 'cancelled')
    await awaitPushSince(sim, order, placedAfter, momentOf(started, windowMs, 0.9));
  await sim.setOrderStatus(marketplace, accountId, order.orderId, order.then.status);
  return { order, status: order.then.status };
}

/** Lives every order at once within `windowMs` (which must end before the final syncs are sent). */
export async function runMarketplaceOrders(
  sim: SimulatorControl,
  orders: PlannedOrder[],
  windowMs: number,
): Promise<PlacedOrders> {
  const started = Date.now();
  const lives = await Promise.all(orders.map((order) => live(sim, order, started, windowMs)));
  return {
    placed: lives.flatMap((l) => ('status' in l && l.status ? [{ order: l.order, status: l.status }] : [])),
    refused: lives.flatMap((l) => ('refused' in l && l.refused ? [{ order: l.order, reason: l.refused }] : [])),
  };
}
