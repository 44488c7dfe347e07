/**
 * How workflows ride out a misbehaving marketplace: 429 storms are retried no sooner than their
 * Retry-After, 5xx answers are retried with backoff, and the work completes; a validation 4xx fails
 * at once, with no retry reaching the marketplace.
 */
import { randomUUID } from 'node:crypto';
import type { SagaResult } from '../../src/workflows/saga';
import { useWorkflowBench, type Seller, type SellerSeed } from '../support/workflow-bench';

const bench = useWorkflowBench();

/** A seller of its own whose two SKUs (7 and 8 in stock) are listed as RT-1 and RT-2, showing 1 each. */
async function sellerOn(marketplace: SellerSeed['marketplace']): Promise<Seller> {
  const sellerId = `rt-${randomUUID().slice(0, 8)}`;
  const listings = [
    { externalId: 'RT-1', stock: 7, pricePaise: 1_000 },
    { externalId: 'RT-2', stock: 8, pricePaise: 2_000 },
  ];
  for (const { externalId, stock } of listings) await bench.seedSku(`${sellerId}-${externalId}`, stock, sellerId);
  return bench.seedSeller({
    sellerId,
    marketplace,
    listings: listings.map(({ externalId, stock, pricePaise }) => ({
      skuId: `${sellerId}-${externalId}`,
      externalId,
      quantity: stock,
      pricePaise,
      atMarketplace: { quantity: 1 },
    })),
  });
}

it('completes through a 429 storm and 5xx answers, waiting out each Retry-After', async () => {
  const seller = await sellerOn('meesho');
  // The quantities' versioned push: its key is `stock:<account>:…`.
  await bench.sim.addFault({
    kind: 'rate-limit',
    retryAfterSeconds: 2,
    times: 3,
    sellerId: seller.accountId,
    keyContains: 'stock:',
  });
  await bench.sim.addFault({
    kind: 'error',
    status: 503,
    times: 2,
    sellerId: seller.accountId,
    keyContains: ':status:',
  });
  await bench.sim.addFault({
    kind: 'error',
    status: 502,
    times: 2,
    sellerId: seller.accountId,
    operation: 'listings-read',
  });
  const envelope = bench.envelope('marketplace.push', seller);

  const result = await bench.execute<SagaResult>(envelope);

  expect(result).toEqual({ status: 'completed', compensations: [] });
  const updates = await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
  const quantity = updates.filter((u) => u.idempotencyKey!.startsWith('stock:'));
  expect(quantity.map((u) => [u.outcome, u.status])).toEqual([
    ['fault', 429],
    ['fault', 429],
    ['fault', 429],
    ['applied', 200],
  ]);
  const gaps = quantity.slice(1).map((u, i) => Date.parse(u.at) - Date.parse(quantity[i]!.at));
  for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1_950);
  const status = updates.filter((u) => u.idempotencyKey!.includes(':status:0:run-'));
  expect(status.map((u) => u.status)).toEqual([503, 503, 200]);
  expect((await bench.sim.seller('meesho', seller.accountId)).listings.map((l) => l.quantity)).toEqual([7, 8]);
}, 60_000);

it('fails a validation 4xx at once: one request at the marketplace, no retries', async () => {
  const seller = await sellerOn('ajio');
  // Once: the price's undo (its key contains the update's) must go through.
  await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, keyContains: ':pricePaise:', times: 1 });
  const envelope = bench.envelope('marketplace.push', seller);

  const started = Date.now();
  const result = await bench.sagaEnd(envelope);

  expect(result).toMatchObject({ status: 'compensated', failedStep: 'pricePaise:0', failureType: 'SagaCompensated' });
  expect(Date.now() - started).toBeLessThan(10_000);
  const price = (await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).filter((u) =>
    u.idempotencyKey!.includes(':pricePaise:0:run-'),
  );
  expect(price).toHaveLength(1);
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(await bench.secretsInHistories()).toEqual([]);
});
