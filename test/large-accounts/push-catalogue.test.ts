/**
 * A catalogue larger than one run's chunk: marketplace.push reaches every listing (keyset chunks of
 * MAX_LISTINGS_PER_PUSH, continued as new), each SKU's price, status and quantity written exactly once.
 * Expectations come from the seeded inputs; what happened is read from the simulator's state and ledger.
 */
import { randomUUID } from 'node:crypto';
import type { SimListing } from '../../simulator/src/control';
import { MAX_LISTINGS_PER_PUSH } from '../../src/workflows/marketplace-push';
import type { SagaResult } from '../../src/workflows/saga';
import { useWorkflowBench, type ListingSeed } from '../support/workflow-bench';

jest.setTimeout(300_000);

const bench = useWorkflowBench();

const COUNT = 1_000;
const skuOf = (i: number) => `BIG-${String(i).padStart(4, '0')}`;
/** What each listing must show once pushed: its stock, its price and its status as PostgreSQL wants them. */
const desired = (i: number): SimListing => ({
  sku: skuOf(i),
  quantity: 10 + (i % 37),
  pricePaise: 10_000 + i,
  status: i % 3 === 0 ? 'inactive' : 'active',
});
/** What the marketplace shows before the push: nothing of the above. */
const BEFORE = { quantity: 0, pricePaise: 1, status: 'inactive' } as const;

it(`pushes all ${COUNT} listings of an account, ${MAX_LISTINGS_PER_PUSH} a run, each field once per SKU`, async () => {
  const sellerId = `big-${randomUUID().slice(0, 8)}`;
  const listings: ListingSeed[] = [];
  for (let i = 0; i < COUNT; i += 1) {
    const skuId = `${sellerId}-${i}`;
    await bench.seedSku(skuId, desired(i).quantity, sellerId);
    const { pricePaise, status } = desired(i);
    listings.push({ skuId, externalId: skuOf(i), quantity: 1, pricePaise, status, atMarketplace: BEFORE });
  }
  const seller = await bench.seedSeller({ sellerId, marketplace: 'ajio', listings });

  const result = await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller));

  expect(result).toEqual({ status: 'completed', compensations: [] });
  const shown = (await bench.sim.seller('ajio', seller.accountId)).listings;
  expect([...shown].sort((a, b) => a.sku.localeCompare(b.sku))).toEqual(
    Array.from({ length: COUNT }, (_, i) => desired(i)),
  );
  // Every SKU's price, status and quantity were each written exactly once (no chunk pushed twice).
  const writes = new Map<string, number>();
  for (const entry of await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })) {
    for (const change of entry.applied) {
      for (const field of ['quantity', 'pricePaise', 'status'] as const) {
        if (change[field] !== undefined)
          writes.set(`${change.sku}:${field}`, (writes.get(`${change.sku}:${field}`) ?? 0) + 1);
      }
    }
  }
  const expectedWrites = Array.from({ length: COUNT }, (_, i) =>
    ['quantity', 'pricePaise', 'status'].map((field) => [`${skuOf(i)}:${field}`, 1] as const),
  ).flat();
  expect([...writes.entries()].sort()).toEqual(expectedWrites.sort());
  // The catalogue took a run per full chunk (the last full one continues into a run that finds no more).
  const runs = bench.client.workflow.list({ query: `WorkflowId = '${bench.workflowIds[0]}'` });
  const statuses: string[] = [];
  for await (const run of runs) statuses.push(run.status.name);
  expect(statuses.sort()).toEqual([
    'COMPLETED',
    ...Array.from({ length: COUNT / MAX_LISTINGS_PER_PUSH }, () => 'CONTINUED_AS_NEW'),
  ]);
});
