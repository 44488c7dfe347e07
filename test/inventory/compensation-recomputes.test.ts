/**
 * Compensation recomputes, never restores a snapshot (docs/inventory.md): a deduct whose push to one
 * listing is refused for good releases its reservation and pushes the SKU again to every listing,
 * computed from PostgreSQL then. Meanwhile a second deduct of the same SKU (started as a second worker
 * would, outside the seller's FIFO group) reserves and commits: its units stay deducted everywhere.
 * Stock 10, deducts of 3 (undone) and 2 (kept): every listing ends at 8, and no marketplace ever
 * applied more than was available at that moment.
 */
import type { SagaResult } from '../../src/workflows/saga';
import { workflowIdFor } from '../../src/contracts/workflows';
import { aboveAvailable, appliedQuantities, holdsOf, listedSku, pushInFlight, shownQuantities } from '../support/stock';
import { useWorkflowBench } from '../support/workflow-bench';

jest.setTimeout(60_000);

const bench = useWorkflowBench();

const STOCK = 10;

it('a refused push releases the reservation and every listing ends at the recomputed available, the other deduct kept', async () => {
  // Pushed in account order: Flipkart, then Meesho.
  const sku = await listedSku(bench, STOCK, ['flipkart', 'meesho']);
  const [flipkart, meesho] = sku.accounts;
  // The undone deduct's push to Meesho (version 2, once reserved): held 3 s at the marketplace, then
  // refused for good. Flipkart has taken its 7 by then.
  const held = { sellerId: meesho!.accountId, keyContains: `:${sku.skuId}:v2`, times: 1 };
  await bench.sim.addFault({ kind: 'latency', ms: 3_000, ...held });
  await bench.sim.addFault({ kind: 'fail-hard', ...held });
  const undone = bench.envelope('inventory.deduct', meesho!, { skuId: sku.skuId, quantity: 3 });
  const kept = bench.envelope('inventory.deduct', flipkart!, { skuId: sku.skuId, quantity: 2 });

  await bench.start(undone);
  await pushInFlight(bench.pool);
  await bench.start(kept);
  const [undoneEnd, keptEnd] = await Promise.all([bench.ended(undone), bench.ended(kept)]);

  // Compensated: the workflow fails non-retryably so the message is dead-lettered, with the end recorded.
  expect(undoneEnd).toEqual({
    status: 'failed',
    failure: { type: 'SagaCompensated', message: expect.stringContaining('HTTP 400'), nonRetryable: true },
  });
  const recorded = await bench.pool.query(
    'SELECT status, failed_step, compensations FROM saga_runs WHERE workflow_id = $1',
    [workflowIdFor(undone)],
  );
  expect(recorded.rows).toEqual([
    {
      status: 'compensated',
      failed_step: `push:meesho:${meesho!.accountId}`,
      compensations: [{ step: 'reserve', ok: true }],
    } satisfies Pick<SagaResult, 'status' | 'compensations'> & { failed_step: string },
  ]);
  expect(keptEnd).toEqual({ status: 'completed', result: { status: 'completed', compensations: [] } });
  const { rows } = await bench.pool.query(
    'SELECT reservation_key, status FROM inventory_reservations WHERE sku_id = $1 ORDER BY status',
    [sku.skuId],
  );
  // Each the run's own: the message's key and its run.
  expect(rows).toEqual([
    { reservation_key: expect.stringMatching(new RegExp(`^${kept.idempotencyKey}@run-`)), status: 'committed' },
    { reservation_key: expect.stringMatching(new RegExp(`^${undone.idempotencyKey}@run-`)), status: 'released' },
  ]);
  expect(await shownQuantities(bench, sku)).toEqual([8, 8]);
  // Flipkart did show the undone deduct's 7 before it was put right.
  expect((await appliedQuantities(bench, [flipkart!])).map((a) => a.quantity)).toContain(7);
  const holds = await holdsOf(bench, [undone, kept]);
  expect(holds).toHaveLength(2);
  expect(aboveAvailable(await appliedQuantities(bench, sku.accounts), STOCK, holds)).toEqual([]);
});
