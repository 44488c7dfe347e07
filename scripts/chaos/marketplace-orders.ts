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

interface Step {
  at: number;
  order: PlannedOrder;
  status?: Exclude<OrderStatus, 'created'>;
}

/**
 * Places and changes the orders at their moments within `windowMs` (which must end before the final
 * syncs are sent). A placing the simulator refuses (409: the listing shows fewer units) is recorded,
 * not retried: a marketplace sells only what it shows.
 */
export async function runMarketplaceOrders(
  sim: SimulatorControl,
  orders: PlannedOrder[],
  windowMs: number,
): Promise<PlacedOrders> {
  const steps: Step[] = orders.flatMap((order) => [
    { at: order.placeAt, order },
    ...(order.then ? [{ at: order.then.at, order, status: order.then.status }] : []),
  ]);
  steps.sort((a, b) => a.at - b.at);
  const status = new Map<PlannedOrder, OrderStatus>();
  const refused: PlacedOrders['refused'] = [];
  const started = Date.now();
  for (const step of steps) {
    await sleep(Math.max(0, started + step.at * windowMs - Date.now()));
    const { marketplace, accountId } = step.order.account;
    if (!step.status) {
      try {
        await sim.placeOrder(marketplace, accountId, {
          orderId: step.order.orderId,
          totalPaise: 10_000,
          lines: step.order.lines.map((line) => ({ sku: line.skuId, quantity: line.quantity })),
        });
        status.set(step.order, 'created');
      } catch (error) {
        if (!(error instanceof SimulatorError && error.status === 409)) throw error;
        refused.push({ order: step.order, reason: error.message });
      }
    } else if (status.has(step.order)) {
      await sim.setOrderStatus(marketplace, accountId, step.order.orderId, step.status);
      status.set(step.order, step.status);
    }
  }
  return { placed: [...status].map(([order, last]) => ({ order, status: last })), refused };
}
