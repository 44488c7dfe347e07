/**
 * The marketplace-push saga on the real stack: per batch of listings, snapshot → quantity (the
 * versioned push, from stock) → price → status. A failure forced at every step restores exactly the
 * prices and statuses already changed, newest first, and the marketplace shows them as they were;
 * quantities stay what stock says, never a snapshot's; a per-SKU failure hidden in a 200 is still caught.
 * A price or status update that failed outright may have landed (a lost answer): it is restored too.
 * A saga that compensated fails its workflow (`SagaCompensated`), so the message is dead-lettered.
 */
import { randomUUID } from 'node:crypto';
import type { SimListing } from '../../simulator/src/control';
import type { SagaResult } from '../../src/workflows/saga';
import { workflowIdFor } from '../../src/contracts/workflows';
import { duplicateEffects } from '../../scripts/chaos/oracles/effects';
import { useWorkflowBench, type ListingSeed, type Seller } from '../support/workflow-bench';

const bench = useWorkflowBench();

const COUNT = 12;
/** The marketplace codes of the 12 listings: two Flipkart batches (10 + 2). */
const EXTERNAL_IDS = Array.from({ length: COUNT }, (_, i) => `FK-${String(i).padStart(2, '0')}`);
/** Each SKU's stock: what its listing must show once pushed. */
const stockOf = (i: number) => 30 + i;
/** What the marketplace shows before any push. */
const BEFORE = { quantity: 5, pricePaise: 50_000, status: 'inactive' } as const;

/**
 * A seller of its own with `count` SKUs (fresh ids: a SKU is one seller's) listed as FK-00…, each
 * with its stock; PostgreSQL wants them active at 999 rupees, the marketplace shows BEFORE.
 */
async function seededSeller(marketplace: Seller['marketplace'], count = COUNT): Promise<Seller> {
  const sellerId = `push-${randomUUID().slice(0, 8)}`;
  const listings: ListingSeed[] = [];
  for (let i = 0; i < count; i += 1) {
    const skuId = `${sellerId}-${i}`;
    await bench.seedSku(skuId, stockOf(i), sellerId);
    listings.push({
      skuId,
      externalId: EXTERNAL_IDS[i],
      // What we last recorded as shown: not what the push sends (stock decides).
      quantity: 1,
      pricePaise: 99_900,
      status: 'active',
      atMarketplace: BEFORE,
    });
  }
  return bench.seedSeller({ sellerId, marketplace, listings });
}

/** What the marketplace shows per listing, given which had their quantity pushed and their price and status kept. */
function expected(count: number, quantityPushed: (i: number) => boolean, pricesKept: boolean): SimListing[] {
  return EXTERNAL_IDS.slice(0, count).map((sku, i) => ({
    sku,
    quantity: quantityPushed(i) ? stockOf(i) : BEFORE.quantity,
    pricePaise: pricesKept ? 99_900 : BEFORE.pricePaise,
    status: pricesKept ? 'active' : BEFORE.status,
  }));
}

async function marketplaceListings(seller: Seller): Promise<SimListing[]> {
  const { listings } = await bench.sim.seller(seller.marketplace, seller.accountId);
  return [...listings].sort((a, b) => a.sku.localeCompare(b.sku));
}

const updatesOf = (seller: Seller) => bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' });

/** A ledger key as the step it belongs to: the versioned push's own keys say `quantity`; the run's scope is dropped. */
const stepKey = (envelopeKey: string, key: string) =>
  key.startsWith('stock:') ? 'quantity' : key.slice(envelopeKey.length).replace(/:run-[0-9a-f-]{36}$/, '');

it('pushes every listing in batches of ten: quantities from stock by the versioned push, then price and status', async () => {
  const seller = await seededSeller('flipkart');
  const envelope = bench.envelope('marketplace.push', seller, { scheduleId: '7' });

  expect(await bench.execute<SagaResult>(envelope)).toEqual({ status: 'completed', compensations: [] });

  expect(await marketplaceListings(seller)).toEqual(expected(COUNT, () => true, true));
  const updates = await updatesOf(seller);
  expect(updates.map((u) => stepKey(envelope.idempotencyKey, u.idempotencyKey!))).toEqual([
    'quantity',
    ':pricePaise:0',
    ':status:0',
    'quantity',
    ':pricePaise:1',
    ':status:1',
  ]);
  // The versioned push records what each listing shows and from which SKU version.
  const { rows } = await bench.pool.query(
    'SELECT external_id, quantity, pushed_version FROM listings WHERE account_id = $1 ORDER BY external_id',
    [seller.accountId],
  );
  expect(rows).toEqual(EXTERNAL_IDS.map((id, i) => ({ external_id: id, quantity: stockOf(i), pushed_version: '1' })));
});

it('a second push sends no quantity the listings already show', async () => {
  const seller = await seededSeller('meesho', 3);
  await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller));
  const again = bench.envelope('marketplace.push', seller);

  expect(await bench.execute<SagaResult>(again)).toEqual({ status: 'completed', compensations: [] });

  const keys = (await updatesOf(seller)).map((u) => u.idempotencyKey!);
  expect(keys.filter((key) => key.startsWith('stock:'))).toHaveLength(1);
  const { runId } = await bench.client.workflow.getHandle(workflowIdFor(again)).describe();
  expect(keys.filter((key) => key.startsWith(again.idempotencyKey))).toEqual([
    `${again.idempotencyKey}:pricePaise:0:run-${runId}`,
    `${again.idempotencyKey}:status:0:run-${runId}`,
  ]);
});

it('pushes one SKU per call to Amazon', async () => {
  const seller = await seededSeller('amazon', 2);
  expect(await bench.execute<SagaResult>(bench.envelope('marketplace.push', seller))).toMatchObject({
    status: 'completed',
  });
  expect(await marketplaceListings(seller)).toEqual(expected(2, () => true, true));
  expect(await updatesOf(seller)).toHaveLength(6);
});

it('a lost answer is retried under the same key: each price and status is applied once, not twice', async () => {
  const seller = await seededSeller('flipkart', 3);
  // The first price update is applied and its answer lost: the activity's retry must be the same call.
  await bench.sim.addFault({
    kind: 'lose-response',
    sellerId: seller.accountId,
    keyContains: ':pricePaise:0',
    times: 1,
  });

  const push = bench.envelope('marketplace.push', seller);
  expect(await bench.execute<SagaResult>(push)).toEqual({ status: 'completed', compensations: [] });

  expect(await marketplaceListings(seller)).toEqual(expected(3, () => true, true));
  const updates = await updatesOf(seller);
  // The price update whose answer was lost, and its retry; effects are then counted whatever their keys.
  expect(updates.filter((u) => u.idempotencyKey?.includes(':pricePaise:0'))).toHaveLength(2);
  // One message, so every write is one decision: the same value twice in a row is an effect applied twice.
  expect(duplicateEffects(updates, [push.idempotencyKey])).toEqual([]);
  const pricesApplied = updates.flatMap((u) => u.applied.filter((c) => c.pricePaise !== undefined).map((c) => c.sku));
  expect(pricesApplied.sort()).toEqual(EXTERNAL_IDS.slice(0, 3));
});

describe('a failure at every step', () => {
  it.each([
    // A quantity step is failed by refusing one of its SKUs: its key is the batch's, not the message's.
    { fault: { sku: 'FK-00', keyContains: 'stock:' }, failedStep: 'quantity:0', undone: [], batchesPushed: 1 },
    // A price or status update refused outright is restored too: its outcome could have been unknown.
    {
      fault: { keyContains: ':pricePaise:0', times: 1 },
      failedStep: 'pricePaise:0',
      undone: ['pricePaise:0'],
      batchesPushed: 1,
    },
    {
      fault: { keyContains: ':status:0', times: 1 },
      failedStep: 'status:0',
      undone: ['status:0', 'pricePaise:0'],
      batchesPushed: 1,
    },
    {
      fault: { sku: 'FK-10', keyContains: 'stock:' },
      failedStep: 'quantity:1',
      undone: ['status:0', 'pricePaise:0'],
      batchesPushed: 2,
    },
    {
      fault: { keyContains: ':status:1', times: 1 },
      failedStep: 'status:1',
      undone: ['status:1', 'pricePaise:1', 'status:0', 'pricePaise:0'],
      batchesPushed: 2,
    },
  ])(
    'fails at $failedStep and restores the snapshot of the prices and statuses that changed, not quantities',
    async ({ fault, failedStep, undone, batchesPushed }) => {
      const seller = await seededSeller('flipkart');
      await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, ...fault });
      const envelope = bench.envelope('marketplace.push', seller);

      const result = await bench.sagaEnd(envelope);

      expect(result).toMatchObject({
        status: 'compensated',
        failedStep,
        compensations: undone.map((step) => ({ step, ok: true }) as const),
        failureType: 'SagaCompensated',
        nonRetryable: true,
      });
      // Quantities that went out stay (they are what stock says), all but the refused SKU's; the
      // batches after the failure were never pushed.
      const quantityPushed = (i: number) => Math.floor(i / 10) < batchesPushed && EXTERNAL_IDS[i] !== fault.sku;
      expect(await marketplaceListings(seller)).toEqual(expected(COUNT, quantityPushed, false));
      const undos = (await updatesOf(seller)).filter((u) => u.idempotencyKey!.includes(':undo:run-'));
      expect(undos.map((u) => stepKey(envelope.idempotencyKey, u.idempotencyKey!))).toEqual(
        undone.map((step) => `:${step}:undo`),
      );
    },
  );

  it('fails at the snapshot read before changing anything', async () => {
    const seller = await seededSeller('meesho', 3);
    await bench.sim.addFault({ kind: 'fail-hard', sellerId: seller.accountId, operation: 'listings-read' });

    const result = await bench.sagaEnd(bench.envelope('marketplace.push', seller));

    expect(result).toMatchObject({
      status: 'compensated',
      failedStep: 'snapshot:0',
      compensations: [],
      failureType: 'SagaCompensated',
    });
    expect(await updatesOf(seller)).toEqual([]);
  });
});

it('catches a per-SKU failure inside an HTTP 200 and undoes the SKUs that were applied', async () => {
  const seller = await seededSeller('flipkart', 10);
  await bench.sim.addFault({
    kind: 'fail-hard',
    sellerId: seller.accountId,
    sku: 'FK-03',
    keyContains: ':pricePaise:',
  });

  const result = await bench.sagaEnd(bench.envelope('marketplace.push', seller));

  expect(result).toMatchObject({
    failureType: 'SagaCompensated',
    status: 'compensated',
    failedStep: 'pricePaise:0',
    reason: expect.stringContaining('rejected FK-03'),
    compensations: [{ step: 'pricePaise:0', ok: true }],
  });
  expect(await marketplaceListings(seller)).toEqual(expected(10, () => true, false));
  const priceUndo = (await updatesOf(seller)).find((u) => u.idempotencyKey!.includes(':pricePaise:0:undo:run-'));
  // Only the nine SKUs that took the new price are put back.
  const undoneSkus = (priceUndo!.request as { items: { sku: string }[] }).items.map((item) => item.sku);
  expect(undoneSkus).toHaveLength(9);
  expect(undoneSkus).not.toContain('FK-03');
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThanOrEqual(9);
  expect(await bench.secretsInHistories()).toEqual([]);
});
