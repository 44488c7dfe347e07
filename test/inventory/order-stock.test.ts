/**
 * Orders drive stock (docs/inventory.md): the order and returns syncs, run as the service's
 * activities against the real PostgreSQL and the stack's marketplace simulator, move each order
 * line's stock once per step, whatever is read twice (a re-sync, the same activity run twice at once
 * as a redelivered message would, a lost cursor), across page boundaries and across two accounts of
 * one seller syncing at once. Expectations come from the orders each test seeded and what it did to
 * them (test/support/order-stock.ts), never from our tables.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Activities } from '../../src/activities';
import type { SellerSeeder, Seller } from '../../scripts/harness/sellers';
import type { SimOrder } from '../../simulator/src/control';
import type { IsolatedEnvironment } from '../support/isolated-env';
import { activityEnvironment, type ActivityEnvironment } from '../support/activity-env';
import {
  expectedMovements,
  expectedStock,
  minutesAgo,
  movementsOf,
  outboxOf,
  runSync,
  stockOf,
  type ExpectedOrder,
} from '../support/order-stock';

jest.setTimeout(120_000);

let env: ActivityEnvironment;
let t: IsolatedEnvironment;
let activities: Activities;
let sellers: SellerSeeder;

beforeAll(async () => {
  env = await activityEnvironment();
  ({ t, activities, sellers } = env);
});

afterAll(() => env?.close());

const syncOrders = (seller: Seller) => runSync(activities, 'syncOrders', seller);
const syncReturns = (seller: Seller) => runSync(activities, 'syncReturns', seller);
const unique = () => randomUUID().slice(0, 8);

async function orderLinesOf(accountId: string): Promise<string[]> {
  const { rows } = await t.deps.pool.query<{ line: string }>(
    `SELECT order_id || ' ' || sku_id || ' ' || quantity AS line FROM order_lines WHERE account_id = $1 ORDER BY 1`,
    [accountId],
  );
  return rows.map((row) => row.line);
}

describe('an order line reserves its units exactly once', () => {
  const sellerId = `seller_${unique()}`;
  const skus = ['K1', 'K2', 'K3'].map((name) => `${sellerId}-${name}`);
  const seeded = Object.fromEntries(skus.map((skuId) => [skuId, 500]));
  /** The meesho account knows our SKUs by codes of its own; the flipkart one by our ids. */
  const meeshoCode = (skuId: string) => `M-${skuId.slice(-2)}`;
  const expected: ExpectedOrder[] = [];
  let meesho: Seller;
  let flipkart: Seller;

  /**
   * Orders as the marketplace has them, and as the test means them. Every fifth order also names our
   * SKU id directly (resolved as the seller's own SKU); every seventh names one SKU twice (the lines
   * add up); every eleventh is delivered, and the thirteenth was cancelled before any sync saw it.
   */
  function ordersFor(accountId: string, count: number, code: (skuId: string) => string): SimOrder[] {
    return Array.from({ length: count }, (_, i) => {
      const sku = skus[i % 3]!;
      const lines = [{ sku: code(sku), quantity: 1 + (i % 4) }];
      const meant = [{ skuId: sku, quantity: 1 + (i % 4) }];
      if (i % 5 === 0) {
        lines.push({ sku: skus[(i + 1) % 3]!, quantity: 2 });
        meant.push({ skuId: skus[(i + 1) % 3]!, quantity: 2 });
      }
      if (i % 7 === 0) {
        lines.push({ sku: code(sku), quantity: 1 });
        meant.push({ skuId: sku, quantity: 1 });
      }
      const status = i === 13 ? 'Cancelled' : i % 11 === 0 ? 'DELIVERED' : 'created';
      const path = i === 13 ? 'first-seen-cancelled' : i % 11 === 0 ? 'shipped' : 'open';
      const orderId = `${accountId}-o${String(i).padStart(3, '0')}`;
      expected.push({ accountId, orderId, lines: meant, path });
      const at = minutesAgo(count - i);
      return { orderId, status, totalPaise: 100 * (i + 1), orderedAt: at, updatedAt: at, lines };
    });
  }

  beforeAll(async () => {
    for (const skuId of skus) await sellers.seedSku(skuId, 500, sellerId);
    const meeshoId = `meesho_${unique()}`;
    const flipkartId = `flipkart_${unique()}`;
    meesho = await sellers.seedSeller({
      marketplace: 'meesho',
      accountId: meeshoId,
      sellerId,
      listings: skus.map((skuId) => ({ skuId, externalId: meeshoCode(skuId), quantity: 500, pricePaise: 100 })),
      // Past one page of 50: the second page's orders count as much as the first's.
      orders: ordersFor(meeshoId, 60, meeshoCode),
    });
    flipkart = await sellers.seedSeller({
      marketplace: 'flipkart',
      accountId: flipkartId,
      sellerId,
      listings: skus.map((skuId) => ({ skuId, quantity: 500, pricePaise: 100 })),
      orders: ordersFor(flipkartId, 14, (skuId) => skuId),
    });
  });

  const accounts = () => [meesho.accountId, flipkart.accountId];

  it('two accounts of one seller syncing at once, each twice at once: one reservation per line', async () => {
    // Each account's activity runs twice at once (a redelivered message), and both accounts change
    // the same SKUs at once: no deadlock, no line moved twice.
    const results = await Promise.all([
      syncOrders(meesho),
      syncOrders(meesho),
      syncOrders(flipkart),
      syncOrders(flipkart),
    ]);

    expect(results.map((r) => r.stored)).toEqual([60, 60, 14, 14]);
    expect(await stockOf(t.deps.pool, skus)).toEqual(expectedStock(seeded, expected));
    expect(await movementsOf(t.deps.pool, accounts())).toEqual(expectedMovements(expected));
  });

  it('stores each line once under our SKU id, and leaves the cancelled-before-seen order with no stock part', async () => {
    const lines = expected
      .filter((order) => order.accountId === meesho.accountId)
      .flatMap((order) => {
        const bySku = new Map<string, number>();
        for (const line of order.lines) bySku.set(line.skuId, (bySku.get(line.skuId) ?? 0) + line.quantity);
        return [...bySku].map(([skuId, quantity]) => `${order.orderId} ${skuId} ${quantity}`);
      })
      .sort();
    expect(await orderLinesOf(meesho.accountId)).toEqual(lines);
    const { rows } = await t.deps.pool.query(
      'SELECT DISTINCT stock_state FROM order_lines WHERE account_id = $1 AND order_id = $2',
      [meesho.accountId, `${meesho.accountId}-o013`],
    );
    expect(rows).toEqual([{ stock_state: 'none' }]);
  });

  it('a re-sync, and a re-read of everything after a lost cursor, move nothing more', async () => {
    const outboxBefore = await outboxOf(t.deps.pool, sellerId);
    expect(outboxBefore.length).toBeGreaterThan(0);

    await Promise.all([syncOrders(meesho), syncOrders(flipkart)]);
    await t.deps.pool.query('DELETE FROM sync_cursors WHERE account_id = ANY($1)', [accounts()]);
    expect(await syncOrders(meesho)).toEqual({ stored: 60 });
    expect(await syncOrders(flipkart)).toEqual({ stored: 14 });

    expect(await stockOf(t.deps.pool, skus)).toEqual(expectedStock(seeded, expected));
    expect(await movementsOf(t.deps.pool, accounts())).toEqual(expectedMovements(expected));
    expect(await outboxOf(t.deps.pool, sellerId)).toEqual(outboxBefore);
  });
});

describe("an order's status moves its lines one step at a time, each once", () => {
  const sellerId = `seller_${unique()}`;
  const [P, Q] = ['P', 'Q'].map((name) => `${sellerId}-${name}`) as [string, string];
  const seeded = { [P]: 20, [Q]: 20 };
  let seller: Seller;
  const expected: ExpectedOrder[] = [];
  /** What each order is, and what the test will do to it. */
  const ORDERS: { id: string; lines: { sku: string; quantity: number }[]; path: ExpectedOrder['path'] }[] = [
    { id: 'o1', lines: [{ sku: P, quantity: 2 }], path: 'open' },
    {
      id: 'o2',
      lines: [
        { sku: P, quantity: 1 },
        { sku: Q, quantity: 1 },
      ],
      path: 'shipped',
    },
    { id: 'o3', lines: [{ sku: Q, quantity: 2 }], path: 'cancelled-before-shipping' },
    { id: 'o4', lines: [{ sku: P, quantity: 3 }], path: 'back-after-shipping' },
    { id: 'o5', lines: [{ sku: Q, quantity: 1 }], path: 'back-after-shipping' },
    { id: 'o6', lines: [{ sku: P, quantity: 1 }], path: 'returned-before-shipping' },
    { id: 'o7', lines: [{ sku: Q, quantity: 4 }], path: 'first-seen-cancelled' },
  ];
  const setStatus = (orderId: string, status: string) =>
    sellers.sim.setOrderStatus('meesho', seller.accountId, orderId, status);

  beforeAll(async () => {
    for (const skuId of [P, Q]) await sellers.seedSku(skuId, 20, sellerId);
    seller = await sellers.seedSeller({
      marketplace: 'meesho',
      sellerId,
      listings: [P, Q].map((skuId) => ({ skuId, quantity: 20, pricePaise: 100 })),
    });
    for (const order of ORDERS) {
      // A buyer orders now; each order a moment after the one before.
      await sellers.sim.placeOrder('meesho', seller.accountId, { orderId: order.id, lines: order.lines });
      expected.push({
        accountId: seller.accountId,
        orderId: order.id,
        lines: order.lines.map((l) => ({ skuId: l.sku, quantity: l.quantity })),
        path: order.path,
      });
    }
    await setStatus('o7', 'CANCELED');
  });

  it('first sync: every line reserved, but the order cancelled before it was seen', async () => {
    await syncOrders(seller);
    // Every order is still open in what the first sync saw, except o7.
    const firstSeen = expected.map((order) => ({
      ...order,
      path: order.path === 'first-seen-cancelled' ? order.path : ('open' as const),
    }));
    expect(await stockOf(t.deps.pool, [P, Q])).toEqual(expectedStock(seeded, firstSeen));
    expect(await movementsOf(t.deps.pool, [seller.accountId])).toEqual(expectedMovements(firstSeen));
  });

  it('shipped or delivered: committed, stock and reserved both down, available unchanged, nothing to publish', async () => {
    const outboxBefore = await outboxOf(t.deps.pool, sellerId);
    for (const id of ['o2', 'o4', 'o5']) await setStatus(id, id === 'o2' ? 'Delivered' : 'shipped');
    await syncOrders(seller);

    const sofar = expected.map((order) => ({
      ...order,
      path: ['o2', 'o4', 'o5'].includes(order.orderId)
        ? ('shipped' as const)
        : order.path === 'first-seen-cancelled'
          ? order.path
          : ('open' as const),
    }));
    expect(await stockOf(t.deps.pool, [P, Q])).toEqual(expectedStock(seeded, sofar));
    expect(await movementsOf(t.deps.pool, [seller.accountId])).toEqual(expectedMovements(sofar));
    expect(await outboxOf(t.deps.pool, sellerId)).toEqual(outboxBefore);
  });

  it('cancelled or returned: released before shipping, restocked after; a cancellation seen twice counts once', async () => {
    await setStatus('o6', 'returned');
    const o4 = await setStatus('o4', 'cancelled');
    // The last change, alone at its millisecond: the next sync reads it again (its cursor is
    // inclusive), and would read o4 too had both changed in the same millisecond (a third of
    // back-to-back changes do here; seen in CI).
    while (Date.now() <= Date.parse(o4.updatedAt)) await sleep(1);
    await setStatus('o3', 'Cancelled');
    await syncOrders(seller);
    expect(await syncOrders(seller)).toEqual({ stored: 1 });

    // o5 is still shipped; its return comes next.
    const sofar = expected.map((order) => (order.orderId === 'o5' ? { ...order, path: 'shipped' as const } : order));
    expect(await stockOf(t.deps.pool, [P, Q])).toEqual(expectedStock(seeded, sofar));
    expect(await movementsOf(t.deps.pool, [seller.accountId])).toEqual(expectedMovements(sofar));
  });

  it('a return received restocks its order once: two return records, and syncs after them, count once', async () => {
    await sellers.sim.addReturn('meesho', seller.accountId, { returnId: 'r1', orderId: 'o5', status: 'RECEIVED' });
    await syncReturns(seller);
    await sellers.sim.addReturn('meesho', seller.accountId, { returnId: 'r2', orderId: 'o5', status: 'completed' });
    await syncReturns(seller);
    await syncReturns(seller);
    await syncOrders(seller);

    expect(await stockOf(t.deps.pool, [P, Q])).toEqual(expectedStock(seeded, expected));
    expect(await movementsOf(t.deps.pool, [seller.accountId])).toEqual(expectedMovements(expected));
  });
});

describe("a line naming another seller's SKU", () => {
  it('is not stored and moves nothing, not even when its code is the other seller’s SKU id or listing code', async () => {
    const owner = `seller_${unique()}`;
    const theirs = `${owner}-X1`;
    const stranger = `seller_${unique()}`;
    const ours = `${stranger}-Y1`;
    await sellers.seedSku(theirs, 30, owner);
    await sellers.seedSku(ours, 30, stranger);
    // The owner's account knows its SKU as CODE-1.
    const ownerAccount = await sellers.seedSeller({
      marketplace: 'meesho',
      sellerId: owner,
      listings: [{ skuId: theirs, externalId: `CODE-${owner}`, quantity: 30, pricePaise: 100 }],
    });
    const at = minutesAgo(5);
    const account = await sellers.seedSeller({
      marketplace: 'meesho',
      sellerId: stranger,
      listings: [{ skuId: ours, quantity: 30, pricePaise: 100 }],
      orders: [
        {
          orderId: 'mixed',
          status: 'created',
          totalPaise: 100,
          orderedAt: at,
          updatedAt: at,
          lines: [
            { sku: theirs, quantity: 3 },
            { sku: `CODE-${owner}`, quantity: 4 },
            { sku: ours, quantity: 1 },
          ],
        },
      ],
    });

    await syncOrders(account);

    expect(await orderLinesOf(account.accountId)).toEqual([`mixed ${ours} 1`]);
    const mine: ExpectedOrder = {
      accountId: account.accountId,
      orderId: 'mixed',
      lines: [{ skuId: ours, quantity: 1 }],
      path: 'open',
    };
    expect(await stockOf(t.deps.pool, [theirs, ours])).toEqual(expectedStock({ [theirs]: 30, [ours]: 30 }, [mine]));
    expect(await movementsOf(t.deps.pool, [account.accountId, ownerAccount.accountId])).toEqual(
      expectedMovements([mine]),
    );
    expect(await outboxOf(t.deps.pool, owner)).toEqual([]);
  });
});

describe('a return read before its order', () => {
  it('brings the order back when the order is first synced, once', async () => {
    const sellerId = `seller_${unique()}`;
    const skuId = `${sellerId}-R1`;
    await sellers.seedSku(skuId, 10, sellerId);
    const seller = await sellers.seedSeller({
      marketplace: 'meesho',
      sellerId,
      listings: [{ skuId, quantity: 10, pricePaise: 100 }],
    });
    await sellers.sim.placeOrder('meesho', seller.accountId, {
      orderId: 'early',
      lines: [{ sku: skuId, quantity: 2 }],
    });
    await sellers.sim.addReturn('meesho', seller.accountId, { returnId: 'r', orderId: 'early', status: 'Received' });

    const order: ExpectedOrder = {
      accountId: seller.accountId,
      orderId: 'early',
      lines: [{ skuId, quantity: 2 }],
      path: 'returned-before-shipping',
    };
    const expectBackOnce = async () => {
      expect(await stockOf(t.deps.pool, [skuId])).toEqual(expectedStock({ [skuId]: 10 }, [order]));
      expect(await movementsOf(t.deps.pool, [seller.accountId])).toEqual(expectedMovements([order]));
    };

    await syncReturns(seller);
    await syncOrders(seller);
    await expectBackOnce();
    // The return is read again (its sync's cursor is inclusive): nothing more.
    await syncReturns(seller);
    await expectBackOnce();
  });
});
