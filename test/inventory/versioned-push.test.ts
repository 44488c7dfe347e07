/**
 * The versioned push on the real stack (docs/inventory.md, "Why pushes converge"):
 *
 * - a push held in flight at the marketplace keeps its SKU still: a deduct started meanwhile (as a
 *   second worker would, outside the seller's FIFO group) waits for it, and the newer version's push
 *   lands after it; no marketplace ever applied more than was available at that moment;
 * - an `inventory.publish` older than what its listings show sends nothing;
 * - `inventory.publish` pushes every listing of the SKU: one the marketplace refuses for good is
 *   recorded as a drift finding and does not hold up the others; transient faults are retried.
 *
 * Workflows are started directly (the poller's start options), so two of one seller run at once.
 */
import type { Envelope } from '../../src/contracts/envelope';
import type { PublishResult } from '../../src/workflows/inventory-publish';
import {
  aboveAvailable,
  appliedQuantities,
  externalIdOf,
  holdsOf,
  listedSku,
  pushInFlight,
  shownQuantities,
} from '../support/stock';
import { useWorkflowBench } from '../support/workflow-bench';

jest.setTimeout(60_000);

const bench = useWorkflowBench();

const STOCK = 10;
const completedSaga = { status: 'completed', result: { status: 'completed', compensations: [] } };

it('a push held in flight keeps the stock still: the deduct started meanwhile waits, and its newer version lands last', async () => {
  const sku = await listedSku(bench, STOCK, ['meesho', 'flipkart']);
  const [meesho, flipkart] = sku.accounts;
  // The first deduct's push to Meesho (version 2, once reserved) waits 3 s at the marketplace.
  await bench.sim.addFault({
    kind: 'latency',
    ms: 3_000,
    times: 1,
    sellerId: meesho!.accountId,
    keyContains: `:${sku.skuId}:v2`,
  });
  const first = bench.envelope('inventory.deduct', meesho!, { skuId: sku.skuId, quantity: 1 });
  const second = bench.envelope('inventory.deduct', flipkart!, { skuId: sku.skuId, quantity: 2 });

  await bench.start(first);
  await pushInFlight(bench.pool);
  await bench.start(second);
  const ends = await Promise.all([first, second].map((deduct) => bench.ended(deduct)));

  expect(ends).toEqual([completedSaga, completedSaga]);
  expect(await shownQuantities(bench, sku)).toEqual([7, 7]);
  const applied = await appliedQuantities(bench, sku.accounts);
  expect(aboveAvailable(applied, STOCK, await holdsOf(bench, [first, second]))).toEqual([]);
  // Meesho took the held version's 9, then a newer version's 7 (the first deduct's commit may have
  // made a version in between): never the other way round.
  const atMeesho = applied.filter((a) => a.accountId === meesho!.accountId);
  expect(atMeesho.map((a) => a.quantity)).toEqual([9, 7]);
  const versions = atMeesho.map((a) => Number(/:v(\d+)$/.exec(a.idempotencyKey!)![1]));
  expect(versions[0]).toBe(2);
  expect(versions[1]).toBeGreaterThan(2);
});

describe('inventory.publish', () => {
  const publish = (sku: Awaited<ReturnType<typeof listedSku>>, version = 1): Envelope =>
    bench.envelope('inventory.publish', sku.accounts[0]!, { skuId: sku.skuId, version });

  it('pushes the SKU to every listing; a publish older than what they show sends nothing', async () => {
    const sku = await listedSku(bench, STOCK, ['meesho', 'amazon', 'flipkart']);
    await bench.sim.setListing('amazon', sku.accounts[1]!.accountId, externalIdOf(sku.accounts[1]!, sku.skuId), {
      quantity: 4,
    });

    expect(await bench.execute<PublishResult>(publish(sku))).toEqual({
      skuId: sku.skuId,
      pushed: 3,
      upToDate: 0,
      rejected: [],
    });
    expect(await shownQuantities(bench, sku)).toEqual([STOCK, STOCK, STOCK]);
    const sent = (await appliedQuantities(bench, sku.accounts)).length;

    // Redelivered, or overtaken by the push it asked for: its listings already show version 1.
    expect(await bench.execute<PublishResult>(publish(sku))).toEqual({
      skuId: sku.skuId,
      pushed: 0,
      upToDate: 3,
      rejected: [],
    });
    const ledger = await Promise.all(
      sku.accounts.map((account) => bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })),
    );
    expect(ledger.flat()).toHaveLength(sent);
  });

  it('records a listing the marketplace refuses for good and pushes the others; transient faults are retried', async () => {
    const sku = await listedSku(bench, STOCK, ['meesho', 'amazon', 'flipkart']);
    const [, amazon, flipkart] = sku.accounts;
    // The stock changed (version 2): the publish that says so follows.
    await bench.pool.query('UPDATE skus SET stock = 6 WHERE id = $1', [sku.skuId]);
    await bench.sim.addFault({
      kind: 'fail-hard',
      sellerId: flipkart!.accountId,
      sku: externalIdOf(flipkart!, sku.skuId),
    });
    await bench.sim.addFault({ kind: 'error', status: 503, times: 2, sellerId: amazon!.accountId });
    const message = publish(sku, 2);

    const result = await bench.execute<PublishResult>(message);

    expect(result).toMatchObject({ skuId: sku.skuId, pushed: 2, upToDate: 0 });
    expect(result.rejected).toEqual([
      expect.objectContaining({
        accountId: flipkart!.accountId,
        externalId: externalIdOf(flipkart!, sku.skuId),
        quantity: 6,
      }),
    ]);
    expect(await shownQuantities(bench, sku)).toEqual([6, 6, STOCK]);
    const { rows } = await bench.pool.query(
      'SELECT account_id, sku_id, expected_quantity, outcome FROM drift_findings WHERE run_key = $1',
      [message.idempotencyKey],
    );
    expect(rows).toEqual([
      { account_id: flipkart!.accountId, sku_id: sku.skuId, expected_quantity: 6, outcome: 'repair_failed' },
    ]);
  });
});
