/**
 * Issue 15's two oversell interleavings, on the real pollers, queues and workflows, on both SQS
 * servers; neither oversells any more:
 *
 * (a) one seller's SKU deducted from two of its accounts at once: both messages travel in the
 *     seller's FIFO group, so they run one after the other, and every listing ends at what is left;
 * (b) a `marketplace.push` (its own queue, grouped by account) and an `inventory.deduct` of the same
 *     listing, one of them held in flight at the marketplace: the push's quantity goes through the
 *     versioned push too, so the marketplace ends at what is available, never at an older value.
 *
 * The oracle is the seeded stock and the deducts the test sent: what each marketplace applied is
 * checked against what was available at that moment (test/support/stock.ts), and what PostgreSQL and
 * every marketplace show at the end against the stock minus the deducts.
 *
 * Production settings throughout; the pollers long-poll 1 s instead of 20 s (an idle poller asks
 * again sooner; a message that arrives is returned at once either way).
 */
import type { Envelope } from '../../src/contracts/envelope';
import { sqsServers } from '../support/sqs';
import {
  aboveAvailable,
  appliedQuantities,
  holdsOf,
  listedSku,
  pushInFlight,
  shownQuantities,
  type ListedSku,
} from '../support/stock';
import { useWorkflowBench, WorkflowBench } from '../support/workflow-bench';

jest.setTimeout(120_000);

const STOCK = 10;

async function availableOf(bench: WorkflowBench, skuId: string): Promise<number> {
  const { rows } = await bench.pool.query<{ n: number }>('SELECT stock - reserved AS n FROM skus WHERE id = $1', [
    skuId,
  ]);
  return rows[0]!.n;
}

/** Once every message's workflow has ended: the ends, and every deduct's hold on the stock. */
async function settle(bench: WorkflowBench, sent: Envelope[]) {
  const ends = await Promise.all(sent.map((envelope) => bench.ended(envelope, 90_000)));
  const holds = await holdsOf(
    bench,
    sent.filter((envelope) => envelope.type === 'inventory.deduct'),
  );
  return { ends, holds };
}

/** The invariant once quiet: PostgreSQL and every listing at the stock left, and no push above what was available. */
async function expectConverged(
  bench: WorkflowBench,
  sku: ListedSku,
  left: number,
  holds: Parameters<typeof aboveAvailable>[2],
) {
  expect(await availableOf(bench, sku.skuId)).toBe(left);
  expect(await shownQuantities(bench, sku)).toEqual(sku.accounts.map(() => left));
  expect(aboveAvailable(await appliedQuantities(bench, sku.accounts), STOCK, holds)).toEqual([]);
}

describe.each(sqsServers())('oversell interleavings on %s', (_server, sqsOverrides) => {
  const bench = useWorkflowBench({ env: sqsOverrides }, async (created) => {
    for (const queue of ['inventory-deduct', 'marketplace-push-meesho', 'marketplace-push-flipkart']) {
      await created.startPoller(queue);
    }
  });

  it('(a) deducts of one SKU from two accounts of the seller, sent at once: 10 − 1 − 2 = 7 everywhere', async () => {
    const sku = await listedSku(bench, STOCK, ['meesho', 'flipkart', 'amazon']);
    const [meesho, flipkart] = sku.accounts;
    const deducts = [
      bench.envelope('inventory.deduct', meesho!, { skuId: sku.skuId, quantity: 1 }),
      bench.envelope('inventory.deduct', flipkart!, { skuId: sku.skuId, quantity: 2 }),
    ];
    await Promise.all(deducts.map((deduct) => bench.send(deduct)));

    const { ends, holds } = await settle(bench, deducts);

    expect(ends).toEqual(
      deducts.map(() => ({ status: 'completed', result: { status: 'completed', compensations: [] } })),
    );
    await expectConverged(bench, sku, STOCK - 3, holds);
  });

  it.each([
    // The push's quantity at the seeded version 1 (before the deduct's reserve); the deduct's at 2.
    { held: 'marketplace.push', version: 'v1' },
    { held: 'inventory.deduct', version: 'v2' },
  ] as const)(
    '(b) a marketplace.push and a deduct of the same listing, the $held held in flight: the listing ends at what is available',
    async ({ held, version }) => {
      const sku = await listedSku(bench, STOCK, ['meesho']);
      const [account] = sku.accounts;
      const push = bench.envelope('marketplace.push', account!);
      const deduct = bench.envelope('inventory.deduct', account!, { skuId: sku.skuId, quantity: 3 });
      await bench.sim.addFault({
        kind: 'latency',
        ms: 3_000,
        times: 1,
        sellerId: account!.accountId,
        operation: 'listings-update',
        keyContains: `:${sku.skuId}:${version}`,
      });
      const [first, second] = held === 'marketplace.push' ? [push, deduct] : [deduct, push];
      await bench.send(first);
      // The other is sent while the held one's quantity is at the marketplace.
      await pushInFlight(bench.pool);
      await bench.send(second);

      const { ends, holds } = await settle(bench, [push, deduct]);

      expect(ends).toEqual(
        [push, deduct].map(() => ({ status: 'completed', result: { status: 'completed', compensations: [] } })),
      );
      await expectConverged(bench, sku, STOCK - 3, holds);
    },
  );
});
