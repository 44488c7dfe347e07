/**
 * A marketplace moves its own listing: it takes an order's units off when the order is placed and
 * puts them back when the order is cancelled, relative to whatever the listing shows at that moment,
 * which may be a push of ours made after the order. When our first sync of the order finds our
 * available count unchanged (the order first seen cancelled, or placed, shipped and returned between
 * two syncs), only a push sets that listing right again. Found by the randomised workload on
 * ElasticMQ (listings left 3 above and 1 below the available stock); here each interleaving on its
 * own, on the real pollers, queues and workflows, on both SQS servers.
 *
 * The oracle is the seeded stock and the orders the test placed; the outbox rows the syncs wrote are
 * read only to wait for their workflows to end.
 */
import type { Seller } from '../../scripts/harness/sellers';
import type { Envelope } from '../../src/contracts/envelope';
import { outboxOf } from '../support/order-stock';
import { sqsServers } from '../support/sqs';
import { externalIdOf, listedSku, shownQuantities, type ListedSku } from '../support/stock';
import { useWorkflowBench, type WorkflowBench } from '../support/workflow-bench';

jest.setTimeout(180_000);

const STOCK = 10;

describe.each(sqsServers())('a listing the marketplace moved itself, on %s', (_server, sqsOverrides) => {
  const bench = useWorkflowBench({ env: sqsOverrides }, async (created) => {
    for (const queue of ['account-sync', 'inventory-deduct']) await created.startPoller(queue);
  });

  let orders = 0;
  async function placeOrder(sku: ListedSku, account: Seller, quantity: number): Promise<string> {
    orders += 1;
    const orderId = `moved-${sku.skuId}-${orders}`;
    await bench.sim.placeOrder(account.marketplace, account.accountId, {
      orderId,
      totalPaise: 1_000,
      lines: [{ sku: externalIdOf(account, sku.skuId), quantity }],
    });
    return orderId;
  }

  /** Syncs the account's orders, then waits for every publish the seller's syncs announced so far. */
  async function syncAndSettle(sku: ListedSku, account: Seller): Promise<void> {
    const sync = bench.envelope('account.sync', account);
    await bench.send(sync);
    expect(await bench.ended(sync, 90_000)).toMatchObject({ status: 'completed' });
    for (const claim of await outboxOf(bench.pool, sku.sellerId)) {
      // The row holds the whole envelope the outbox sent (OutboxClaim names only the fields other tests read).
      const publish = claim.envelope as unknown as Envelope;
      expect(await bench.ended(publish, 90_000)).toMatchObject({ status: 'completed' });
    }
  }

  async function availableOf(b: WorkflowBench, skuId: string): Promise<number> {
    const { rows } = await b.pool.query<{ n: number }>('SELECT stock - reserved AS n FROM skus WHERE id = $1', [skuId]);
    return rows[0]!.n;
  }

  it('an order first seen cancelled, after a push overwrote its units at that marketplace: no listing stays above what is available', async () => {
    const sku = await listedSku(bench, STOCK, ['flipkart', 'meesho']);
    const [flipkart, meesho] = sku.accounts as [Seller, Seller];
    const unseen = await placeOrder(sku, flipkart, 3); // Flipkart shows 7
    await placeOrder(sku, meesho, 1);
    await syncAndSettle(sku, meesho); // 9 pushed everywhere: Flipkart's own −3 is overwritten
    expect(await shownQuantities(bench, sku)).toEqual([9, 9]);
    await bench.sim.setOrderStatus(flipkart.marketplace, flipkart.accountId, unseen, 'cancelled'); // Flipkart shows 12

    await syncAndSettle(sku, flipkart);

    expect(await availableOf(bench, sku.skuId)).toBe(STOCK - 1);
    expect(await shownQuantities(bench, sku)).toEqual([STOCK - 1, STOCK - 1]);
  });

  it('an order placed, shipped and returned between two syncs: no listing stays below what is available', async () => {
    const sku = await listedSku(bench, STOCK, ['flipkart', 'meesho']);
    const [flipkart] = sku.accounts as [Seller, Seller];
    const orderId = await placeOrder(sku, flipkart, 2); // Flipkart shows 8
    await bench.sim.setOrderStatus(flipkart.marketplace, flipkart.accountId, orderId, 'shipped');
    await bench.sim.setOrderStatus(flipkart.marketplace, flipkart.accountId, orderId, 'returned');

    await syncAndSettle(sku, flipkart);

    expect(await availableOf(bench, sku.skuId)).toBe(STOCK);
    expect(await shownQuantities(bench, sku)).toEqual([STOCK, STOCK]);
  });
});
