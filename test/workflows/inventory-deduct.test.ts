/**
 * The inventory-deduct saga on the real stack: reserve in PostgreSQL → a versioned push of the SKU to
 * its listings on three marketplaces → commit. A push refused for good releases the reservation and
 * pushes the SKU again to every listing, recomputed from PostgreSQL (checked in the simulator's
 * ledger and in PostgreSQL), and the workflow fails as `SagaCompensated` so the message is
 * dead-lettered; a push again refused too leaves the saga `needs-attention` (`SagaNeedsAttention`).
 */
import type { SagaResult } from '../../src/workflows/saga';
import { SagaStateKey } from '../../src/contracts/search-attributes';
import { workflowIdFor } from '../../src/contracts/workflows';
import { appliedQuantities, externalIdOf, listedSku, shownQuantities, type ListedSku } from '../support/stock';
import { useWorkflowBench, type Seller } from '../support/workflow-bench';

const bench = useWorkflowBench();

const STOCK = 100;
const ORDER_QUANTITY = 3;

/** A fresh SKU listed on AJIO, Amazon and Flipkart (pushed in that order: account ids sort so). */
const skuOnThreeMarketplaces = () => listedSku(bench, STOCK, ['ajio', 'amazon', 'flipkart']);

async function stockRow(skuId: string) {
  const { rows } = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  return rows[0];
}

/**
 * Per account, in ledger order: the quantity each listing update applied, or `refused` (a batch
 * marketplace's injected 400 is a fault, Amazon's per-SKU 400 a rejection).
 */
async function pushesPerAccount({ accounts }: ListedSku) {
  const entries = await Promise.all(
    accounts.map((account) => bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })),
  );
  return entries.map((ledger) => ledger.map((entry) => entry.applied[0]?.quantity ?? 'refused'));
}

const everywhere = (sku: ListedSku, quantity: number) => sku.accounts.map(() => quantity);

it('reserves, pushes the new available quantity to every marketplace under its version key, then commits', async () => {
  const sku = await skuOnThreeMarketplaces();
  const envelope = bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

  const result = await bench.execute<SagaResult>(envelope);

  expect(result).toEqual({ status: 'completed', compensations: [] });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK - ORDER_QUANTITY, reserved: 0 });
  expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK - ORDER_QUANTITY));
  // Version 1 as seeded, 2 once reserved: each listing was told version 2's quantity, under that version's key.
  const applied = await appliedQuantities(bench, sku.accounts);
  expect(
    applied.map(({ accountId, sku: external, quantity, idempotencyKey }) => [
      accountId,
      external,
      quantity,
      idempotencyKey,
    ]),
  ).toEqual(
    sku.accounts.map((account) => [
      account.accountId,
      externalIdOf(account, sku.skuId),
      STOCK - ORDER_QUANTITY,
      `stock:${account.accountId}:${sku.skuId}:v2`,
    ]),
  );
  const { rows } = await bench.pool.query('SELECT DISTINCT quantity, pushed_version FROM listings WHERE sku_id = $1', [
    sku.skuId,
  ]);
  expect(rows).toEqual([{ quantity: STOCK - ORDER_QUANTITY, pushed_version: '2' }]);
  const moves = await bench.pool.query('SELECT kind, quantity FROM stock_movements WHERE sku_id = $1 ORDER BY id', [
    sku.skuId,
  ]);
  expect(moves.rows).toEqual([
    { kind: 'reserve', quantity: ORDER_QUANTITY },
    { kind: 'commit', quantity: ORDER_QUANTITY },
  ]);
  const saga = await bench.pool.query('SELECT saga, status FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(saga.rows).toEqual([{ saga: 'inventory-deduct', status: 'completed' }]);
});

it('refuses the schedule form of the payload (the `inventory` schedule now repairs) before anything changes', async () => {
  const sku = await skuOnThreeMarketplaces();
  const result = await bench.sagaEnd(bench.envelope('inventory.deduct', sku.accounts[0]!, { scheduleId: '7' }));
  expect(result).toMatchObject({
    status: 'compensated',
    failedStep: 'load',
    compensations: [],
    failureType: 'SagaCompensated',
    nonRetryable: true,
  });
  expect(result.reason).toContain('skuId (text) and quantity');
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
});

describe('a failure at every step', () => {
  it.each([
    { step: 'load', payload: { skuId: 'missing-quantity' } },
    { step: 'reserve', quantity: STOCK + 1 },
  ])('fails at $step before anything needs undoing', async ({ step, payload, quantity }) => {
    const sku = await skuOnThreeMarketplaces();
    const envelope = bench.envelope(
      'inventory.deduct',
      sku.accounts[0]!,
      payload ?? { skuId: sku.skuId, quantity: quantity! },
    );

    const result = await bench.sagaEnd(envelope);

    // The reserve's release is registered before it runs (its outcome could be unknown): a refused
    // reserve releases nothing and pushes nothing.
    expect(result).toMatchObject({
      status: 'compensated',
      failedStep: step,
      compensations: step === 'reserve' ? [{ step: 'reserve', ok: true }] : [],
      failureType: 'SagaCompensated',
    });
    expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
    expect(await appliedQuantities(bench, sku.accounts)).toEqual([]);
  });

  it.each([0, 1, 2])(
    'fails at the push to marketplace #%i: releases, then pushes every listing again from PostgreSQL',
    async (failing) => {
      const sku = await skuOnThreeMarketplaces();
      // Refused for good, once: the push again after the release goes through.
      await bench.sim.addFault({
        kind: 'fail-hard',
        sellerId: sku.accounts[failing]!.accountId,
        operation: 'listings-update',
        times: 1,
      });
      const envelope = bench.envelope('inventory.deduct', sku.accounts[0]!, {
        skuId: sku.skuId,
        quantity: ORDER_QUANTITY,
      });

      const result = await bench.sagaEnd(envelope);

      const stepOf = (seller: Seller) => `push:${seller.marketplace}:${seller.accountId}`;
      expect(result).toMatchObject({
        status: 'compensated',
        failedStep: stepOf(sku.accounts[failing]!),
        compensations: [{ step: 'reserve', ok: true }],
        failureType: 'SagaCompensated',
        nonRetryable: true,
      });
      // A batch marketplace refuses the whole update; Amazon refuses the one SKU: both are a 400.
      expect(result.reason).toContain('HTTP 400');
      // The ones pushed before took the reserved quantity, then the released one; the refused one was
      // tried once (no retries); every listing ends at what is available after the release.
      const pushes = await pushesPerAccount(sku);
      expect(pushes).toEqual(
        sku.accounts.map((_, i) =>
          i < failing ? [STOCK - ORDER_QUANTITY, STOCK] : i === failing ? ['refused', STOCK] : [STOCK],
        ),
      );
      expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK));
      expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
      const reservation = await bench.pool.query(
        'SELECT status FROM inventory_reservations WHERE reservation_key = $1',
        [
          `${envelope.idempotencyKey}@run-${(await bench.client.workflow.getHandle(workflowIdFor(envelope)).describe()).runId}`,
        ],
      );
      expect(reservation.rows).toEqual([{ status: 'released' }]);
    },
  );
});

it('ends in needs-attention, recorded and visible, when the push again is refused too', async () => {
  const sku = await skuOnThreeMarketplaces();
  const [ajio, , flipkart] = sku.accounts as [Seller, Seller, Seller];
  await bench.sim.addFault({ kind: 'fail-hard', sellerId: flipkart.accountId, operation: 'listings-update' });
  const envelope = bench.envelope('inventory.deduct', ajio, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

  const result = await bench.sagaEnd(envelope);

  expect(result).toMatchObject({
    failureType: 'SagaNeedsAttention',
    nonRetryable: true,
    status: 'needs_attention',
    failedStep: `push:flipkart:${flipkart.accountId}`,
    compensations: [{ step: 'reserve', ok: false, error: expect.stringContaining('HTTP 400') }],
  });
  const { rows } = await bench.pool.query('SELECT status, failed_step, reason FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(rows[0]).toMatchObject({ status: 'needs_attention', failed_step: `push:flipkart:${flipkart.accountId}` });
  expect(rows[0].reason).toContain('HTTP 400');
  const description = await bench.client.workflow.getHandle(workflowIdFor(envelope)).describe();
  expect(description.typedSearchAttributes.get(SagaStateKey)).toBe('needs-attention');
  // The reservation is released and the listings that took it were put right; Flipkart never changed.
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK));
  expect(await pushesPerAccount(sku)).toEqual([
    [STOCK - ORDER_QUANTITY, STOCK],
    [STOCK - ORDER_QUANTITY, STOCK],
    ['refused', 'refused'],
  ]);
});

it('a deduct for a disabled account fails (parked), and once the account is enabled the same id runs afresh', async () => {
  const sku = await skuOnThreeMarketplaces();
  const [ajio] = sku.accounts as [Seller];
  await bench.pool.query('UPDATE seller_accounts SET enabled = false WHERE id = $1', [ajio.accountId]);
  const envelope = bench.envelope('inventory.deduct', ajio, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

  await bench.start(envelope);
  const parked = await bench.ended(envelope);

  expect(parked).toEqual({
    status: 'failed',
    failure: { type: 'AccountDisabled', message: expect.stringContaining('parked until'), nonRetryable: true },
  });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await appliedQuantities(bench, sku.accounts)).toEqual([]);
  const recorded = await bench.pool.query('SELECT status, failed_step FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(recorded.rows).toEqual([{ status: 'compensated', failed_step: 'load' }]);

  // The operator enables the account and replays: the failed run does not hold the id, so this runs.
  await bench.pool.query('UPDATE seller_accounts SET enabled = true WHERE id = $1', [ajio.accountId]);
  await bench.start(envelope);
  const replayed = await bench.ended(envelope);

  expect(replayed).toEqual({ status: 'completed', result: { status: 'completed', compensations: [] } });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK - ORDER_QUANTITY, reserved: 0 });
  expect(await shownQuantities(bench, sku)).toEqual(everywhere(sku, STOCK - ORDER_QUANTITY));
  expect((await appliedQuantities(bench, sku.accounts)).map((a) => a.accountId)).toEqual(
    sku.accounts.map((s) => s.accountId),
  );
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThanOrEqual(7);
  expect(await bench.secretsInHistories()).toEqual([]);
});
