/**
 * The marketplace-push saga on the real stack: per batch of listings, snapshot → quantity → price →
 * status. A failure forced at every step restores exactly the fields already changed, newest first,
 * and the marketplace ends as it was; a per-SKU failure hidden in a 200 is still caught.
 */
import type { SimListing } from '../../simulator/src/control';
import type { SagaResult } from '../../src/workflows/saga';
import { WorkflowBench, type ListingSeed, type Seller } from '../support/workflow-bench';

let bench: WorkflowBench;

beforeAll(async () => {
  bench = await WorkflowBench.create();
}, 120_000);

afterAll(() => bench?.close());

/** 12 listings: two Flipkart batches (10 + 2). The marketplace shows old values until pushed. */
const LISTINGS: ListingSeed[] = Array.from({ length: 12 }, (_, i) => ({
  skuId: `FK-${String(i).padStart(2, '0')}`,
  quantity: 50 + i,
  pricePaise: 99_900,
  status: 'active',
  atMarketplace: { quantity: 5, pricePaise: 50_000, status: 'inactive' },
}));

const ORIGINAL: SimListing[] = LISTINGS.map((l) => ({
  sku: l.skuId,
  quantity: 5,
  pricePaise: 50_000,
  status: 'inactive',
}));
const DESIRED: SimListing[] = LISTINGS.map((l) => ({
  sku: l.skuId,
  quantity: l.quantity,
  pricePaise: l.pricePaise,
  status: 'active',
}));

async function marketplaceListings(seller: Seller): Promise<SimListing[]> {
  const { listings } = await bench.sim.seller(seller.marketplace, seller.accountId);
  return [...listings].sort((a, b) => a.sku.localeCompare(b.sku));
}

it('pushes quantity, price and status of every listing in batches of ten', async () => {
  const seller = await bench.seedSeller({ marketplace: 'flipkart', listings: LISTINGS });
  const envelope = bench.envelope('marketplace.push', seller, { scheduleId: '7' });

  expect(await bench.execute<SagaResult>(envelope)).toEqual({ status: 'completed', compensations: [] });

  expect(await marketplaceListings(seller)).toEqual(DESIRED);
  const updates = await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });
  expect(updates.map((u) => u.idempotencyKey!.slice(envelope.idempotencyKey.length))).toEqual([
    ':quantity:0',
    ':pricePaise:0',
    ':status:0',
    ':quantity:1',
    ':pricePaise:1',
    ':status:1',
  ]);
});

it('pushes one SKU per call to Amazon', async () => {
  const seller = await bench.seedSeller({ marketplace: 'amazon', listings: LISTINGS.slice(0, 2) });
  expect(await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller))).toMatchObject({
    status: 'completed',
  });
  expect(await marketplaceListings(seller)).toEqual(DESIRED.slice(0, 2));
  expect(await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).toHaveLength(6);
});

describe('a failure at every step', () => {
  it.each([
    { failing: ':quantity:0', failedStep: 'quantity:0', undone: [] },
    { failing: ':pricePaise:0', failedStep: 'pricePaise:0', undone: ['quantity:0'] },
    { failing: ':status:0', failedStep: 'status:0', undone: ['pricePaise:0', 'quantity:0'] },
    {
      failing: ':quantity:1',
      failedStep: 'quantity:1',
      undone: ['status:0', 'pricePaise:0', 'quantity:0'],
    },
    {
      failing: ':status:1',
      failedStep: 'status:1',
      undone: ['pricePaise:1', 'quantity:1', 'status:0', 'pricePaise:0', 'quantity:0'],
    },
  ])('fails at $failedStep and restores the snapshot of what changed', async ({ failing, failedStep, undone }) => {
    const seller = await bench.seedSeller({ marketplace: 'flipkart', listings: LISTINGS });
    await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, keyContains: failing });
    const envelope = bench.envelope('marketplace.push', seller);

    const result = await bench.execute<SagaResult>(envelope);

    expect(result).toMatchObject({
      status: 'compensated',
      failedStep,
      compensations: undone.map((step) => ({ step, ok: true })),
    });
    expect(await marketplaceListings(seller)).toEqual(ORIGINAL);
    const undos = (await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).filter((u) =>
      u.idempotencyKey!.endsWith(':undo'),
    );
    expect(undos.map((u) => u.idempotencyKey!.slice(envelope.idempotencyKey.length + 1, -':undo'.length))).toEqual(
      undone,
    );
  });

  it('fails at the snapshot read before changing anything', async () => {
    const seller = await bench.seedSeller({ marketplace: 'meesho', listings: LISTINGS.slice(0, 3) });
    await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, operation: 'listings-read' });

    const result = await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller));

    expect(result).toMatchObject({ status: 'compensated', failedStep: 'snapshot:0', compensations: [] });
    expect(await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).toEqual([]);
  });
});

it('catches a per-SKU failure inside an HTTP 200 and undoes the SKUs that were applied', async () => {
  const seller = await bench.seedSeller({ marketplace: 'flipkart', listings: LISTINGS.slice(0, 10) });
  await bench.sim.addFault({
    kind: 'fail-hard',
    sellerId: seller.accountId,
    sku: 'FK-03',
    keyContains: ':pricePaise:',
  });

  const result = await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller));

  expect(result).toMatchObject({
    status: 'compensated',
    failedStep: 'pricePaise:0',
    reason: expect.stringContaining('rejected FK-03'),
    compensations: [
      { step: 'pricePaise:0', ok: true },
      { step: 'quantity:0', ok: true },
    ],
  });
  expect(await marketplaceListings(seller)).toEqual(ORIGINAL.slice(0, 10));
  const priceUndo = (await bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })).find((u) =>
    u.idempotencyKey!.endsWith(':pricePaise:0:undo'),
  );
  // Only the nine SKUs that took the new price are put back.
  const undoneSkus = (priceUndo!.request as { items: { sku: string }[] }).items.map((item) => item.sku);
  expect(undoneSkus).toHaveLength(9);
  expect(undoneSkus).not.toContain('FK-03');
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThanOrEqual(8);
  expect(await bench.secretsInHistories()).toEqual([]);
});
