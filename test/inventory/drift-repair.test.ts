/**
 * The drift repair (`inventory.repair`, the `inventory` schedule's message) on the real stack: it
 * reads an account's listings back from the marketplace and puts each right that does not show its
 * SKU's available stock, recording a drift finding per mismatch once per run:
 *
 * - a quantity someone set in the seller portal (50) is found and repaired (`repaired`); a listing
 *   only behind its SKU's version is pushed without a finding; one the marketplace does not know is
 *   `missing_at_marketplace` (Amazon answers it with a 404, the others leave it out);
 * - a run that failed half-way and runs again records each finding once, and repairs drift found again
 *   (its push is its own run's: the marketplace must apply it, not answer it from the first run's).
 */
import { randomUUID } from 'node:crypto';
import type { StockRepairCounts } from '../../src/contracts/stock';
import type { Marketplace } from '../../src/contracts/marketplaces';
import { NO_STOCK_REPAIRS } from '../../src/contracts/stock';
import { useWorkflowBench, type Seller } from '../support/workflow-bench';

jest.setTimeout(60_000);

const bench = useWorkflowBench();

/** A seller's account listing SKUs with the given stock, each shown at the marketplace as its stock, as D-00, D-01… */
async function sellerListing(
  marketplace: Marketplace,
  stocks: number[],
): Promise<{ seller: Seller; skuIds: string[] }> {
  const sellerId = `drift-${randomUUID().slice(0, 8)}`;
  // Zero-padded like the external ids, so our SKU order (the repair's batches) is theirs.
  const skuIds = stocks.map((_, i) => `${sellerId}-${externalId(i)}`);
  for (const [i, stock] of stocks.entries()) await bench.seedSku(skuIds[i]!, stock, sellerId);
  const seller = await bench.seedSeller({
    sellerId,
    marketplace,
    listings: stocks.map((stock, i) => ({
      skuId: skuIds[i]!,
      externalId: externalId(i),
      quantity: stock,
      pricePaise: 100,
    })),
  });
  return { seller, skuIds };
}

const externalId = (i: number) => `D-${String(i).padStart(2, '0')}`;

async function shown(seller: Seller): Promise<Record<string, number>> {
  const { listings } = await bench.sim.seller(seller.marketplace, seller.accountId);
  return Object.fromEntries(listings.map((listing) => [listing.sku, listing.quantity]));
}

async function findings(runKey: string) {
  const { rows } = await bench.pool.query(
    `SELECT external_id, marketplace_quantity, expected_quantity, outcome FROM drift_findings
      WHERE run_key = $1 ORDER BY external_id`,
    [runKey],
  );
  return rows;
}

/** A listing in PostgreSQL that the marketplace does not know. */
async function listedOnlyHere(seller: Seller, stock: number, id: string): Promise<void> {
  await bench.seedSku(`${seller.sellerId}-${id}`, stock, seller.sellerId);
  await bench.pool.query(
    `INSERT INTO listings (seller_id, account_id, sku_id, external_id, quantity, price_paise) VALUES ($1, $2, $3, $4, $5, 100)`,
    [seller.sellerId, seller.accountId, `${seller.sellerId}-${id}`, id, stock],
  );
}

it('repairs a quantity set in the portal, catches up a listing behind, and reports one the marketplace does not know', async () => {
  const { seller, skuIds } = await sellerListing('meesho', [10, 20, 30]);
  // Someone sets 50 in the seller portal for D-01.
  await bench.sim.setListing('meesho', seller.accountId, externalId(1), { quantity: 50 });
  // D-02's stock changed in PostgreSQL (its publish still to come): the marketplace shows what we last pushed.
  await bench.pool.query('UPDATE skus SET stock = 25 WHERE id = $1', [skuIds[2]]);
  await listedOnlyHere(seller, 5, 'D-99');
  const repair = bench.envelope('inventory.repair', seller);

  const counts = await bench.execute<StockRepairCounts>(repair);

  expect(counts).toEqual({ ...NO_STOCK_REPAIRS, checked: 4, repaired: 1, missing: 1, caughtUp: 2 });
  expect(await shown(seller)).toEqual({ 'D-00': 10, 'D-01': 20, 'D-02': 25 });
  expect(await findings(repair.idempotencyKey)).toEqual([
    { external_id: 'D-01', marketplace_quantity: 50, expected_quantity: 20, outcome: 'repaired' },
    { external_id: 'D-99', marketplace_quantity: null, expected_quantity: 5, outcome: 'missing_at_marketplace' },
  ]);

  // The next run finds every listing as it should be; only the unknown one is reported again.
  const next = bench.envelope('inventory.repair', seller);
  expect(await bench.execute<StockRepairCounts>(next)).toEqual({
    ...NO_STOCK_REPAIRS,
    checked: 4,
    matched: 3,
    missing: 1,
  });
  expect((await findings(next.idempotencyKey)).map((f) => f.outcome)).toEqual(['missing_at_marketplace']);
});

it('on Amazon, a listing read back as 404 is missing at the marketplace', async () => {
  const { seller } = await sellerListing('amazon', [4]);
  await listedOnlyHere(seller, 6, 'D-98');
  const repair = bench.envelope('inventory.repair', seller);

  expect(await bench.execute<StockRepairCounts>(repair)).toEqual({
    ...NO_STOCK_REPAIRS,
    checked: 2,
    missing: 1,
    caughtUp: 1,
  });
  expect((await findings(repair.idempotencyKey)).map((f) => [f.external_id, f.outcome])).toEqual([
    ['D-98', 'missing_at_marketplace'],
  ]);
});

it('a run that failed half-way runs again: each finding recorded once, and drift found again repaired again', async () => {
  // Two Flipkart batches (10 + 1); the second one's read is refused the first time.
  const { seller } = await sellerListing(
    'flipkart',
    Array.from({ length: 11 }, (_, i) => 10 + i),
  );
  // A first run records every listing as showing its version: later pushes name one listing each.
  expect(await bench.execute<StockRepairCounts>(bench.envelope('inventory.repair', seller))).toMatchObject({
    caughtUp: 11,
  });
  await bench.sim.setListing('flipkart', seller.accountId, externalId(0), { quantity: 50 });
  await bench.sim.addFault({
    kind: 'fail-hard',
    sellerId: seller.accountId,
    operation: 'listings-read',
    sku: externalId(10),
  });
  const repair = bench.envelope('inventory.repair', seller);

  await bench.start(repair);
  const failed = await bench.ended(repair);

  expect(failed).toMatchObject({ status: 'failed', failure: { type: 'MarketplaceValidation', nonRetryable: true } });
  expect((await shown(seller))['D-00']).toBe(10);
  expect((await findings(repair.idempotencyKey)).map((f) => [f.external_id, f.outcome])).toEqual([
    ['D-00', 'repaired'],
  ]);

  // The portal sets 50 again before the message runs again (the poller's retry, or a replay).
  await bench.sim.clearFaults(seller.accountId);
  await bench.sim.setListing('flipkart', seller.accountId, externalId(0), { quantity: 50 });
  await bench.start(repair);
  const again = await bench.ended(repair);

  expect(again).toEqual({
    status: 'completed',
    result: { ...NO_STOCK_REPAIRS, checked: 11, matched: 10, repaired: 1 },
  });
  expect((await shown(seller))['D-00']).toBe(10);
  expect(await findings(repair.idempotencyKey)).toEqual([
    { external_id: 'D-00', marketplace_quantity: 50, expected_quantity: 10, outcome: 'repaired' },
  ]);
});
