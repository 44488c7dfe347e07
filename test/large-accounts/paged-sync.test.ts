/**
 * Paged syncs checkpoint per page: each stored page is heartbeated with the next page's token, so a
 * retried attempt resumes there. Counted at a simulator of this file's own (its read log): every
 * page is served once, however many attempts the sync took.
 *
 * Production settings throughout: the `reads` activity options, and our own rate limits (limits.ts),
 * which give an Amazon account 20 order pages a minute. 2,000 orders are 40 pages of 50, so the
 * Amazon sync runs past that budget mid-sync; before the checkpoint each retry started again at page
 * 1, spent the budget on the same 20 pages, and the account never finished.
 */
import { randomUUID } from 'node:crypto';
import type { SimOrder } from '../../simulator/src/control';
import type { Marketplace } from '../../src/contracts/marketplaces';
import type { Seller } from '../support/workflow-bench';
import { eventually } from '../support/pipeline';
import { benchOnOwnSimulator, lastAttempt } from '../support/own-simulator';

jest.setTimeout(300_000);

const own = benchOnOwnSimulator();

const ORDERS = 2_000;
/** The simulator's page size: 2,000 orders are 40 pages. */
const PAGES = ORDERS / 50;

async function sellerWithOrders(marketplace: Marketplace): Promise<Seller> {
  const sellerId = `paged-${randomUUID().slice(0, 8)}`;
  const skuId = `${sellerId}-sku`;
  await own.bench.seedSku(skuId, 1_000_000, sellerId);
  const start = Date.now() - (ORDERS + 10) * 60_000;
  const orders: SimOrder[] = Array.from({ length: ORDERS }, (_, i) => ({
    orderId: `${sellerId}-o${String(i).padStart(4, '0')}`,
    status: 'delivered',
    totalPaise: 1_000 + i,
    orderedAt: new Date(start + i * 60_000).toISOString(),
    lines: [{ sku: skuId, quantity: 1 }],
  }));
  return own.bench.seedSeller({ marketplace, sellerId, listings: [{ skuId, quantity: 5, pricePaise: 1_000 }], orders });
}

const storedOrders = async (seller: Seller) =>
  (
    await own.bench.pool.query('SELECT count(DISTINCT external_id)::int AS n FROM orders WHERE account_id = $1', [
      seller.accountId,
    ])
  ).rows[0].n as number;

/** The order pages the simulator served to this seller (its read log), and the reads a fault answered. */
async function orderReads(seller: Seller) {
  const reads = await own.bench.sim.reads({ sellerId: seller.accountId, operation: 'orders' });
  return {
    served: reads.filter((read) => read.outcome === 'served').map((read) => read.path),
    faulted: reads.filter((read) => read.outcome === 'fault').length,
  };
}

it(`an Amazon account with ${ORDERS} orders syncs under its page budget, each page read once`, async () => {
  const seller = await sellerWithOrders('amazon');

  const result = await own.bench.execute(own.bench.envelope('account.sync', seller, { scheduleId: '1' }));

  expect(result).toEqual({ orders: ORDERS, returns: 0 });
  expect(await storedOrders(seller)).toBe(ORDERS);
  const { served, faulted } = await orderReads(seller);
  expect(faulted).toBe(0);
  expect(served).toHaveLength(PAGES);
  expect(new Set(served).size).toBe(PAGES);
});

it('a sync retried mid-way (a 503 after some pages) resumes at the page it got to', async () => {
  const seller = await sellerWithOrders('ajio');
  const envelope = own.bench.envelope('ajio.orders-sync', seller);
  const handle = await own.bench.start(envelope);
  // Once a few pages are stored, the next order read fails once with a transient 503.
  await eventually(
    async () => (await orderReads(seller)).served.length,
    (served) => served >= 5,
  );
  await own.bench.sim.addFault({
    kind: 'error',
    status: 503,
    sellerId: seller.accountId,
    operation: 'orders',
    times: 1,
  });

  expect(await handle.result()).toEqual({ orders: ORDERS });

  expect(await storedOrders(seller)).toBe(ORDERS);
  const { served, faulted } = await orderReads(seller);
  expect(faulted).toBe(1);
  expect(served).toHaveLength(PAGES);
  expect(new Set(served).size).toBe(PAGES);
  expect((await lastAttempt(own.bench, handle.workflowId, 'syncOrders')).attempt).toBe(2);
});
