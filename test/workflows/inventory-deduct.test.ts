/**
 * The inventory-deduct saga on the real stack: reserve in PostgreSQL → push the new quantity to the
 * SKU's listings on three marketplaces → commit. A failure forced at every step runs exactly the
 * compensations registered before it, newest first, once each (checked in the simulator's ledger
 * and in PostgreSQL); a compensation that fails too leaves the saga `needs-attention`.
 */
import { randomUUID } from 'node:crypto';
import type { SagaResult } from '../../src/workflows/saga';
import { SagaStateKey } from '../../src/contracts/search-attributes';
import { workflowIdFor } from '../../src/contracts/workflows';
import { WorkflowBench, type Seller } from '../support/workflow-bench';

let bench: WorkflowBench;

beforeAll(async () => {
  bench = await WorkflowBench.create();
}, 120_000);

afterAll(() => bench?.close());

const STOCK = 100;
const ORDER_QUANTITY = 3;

/** A fresh SKU listed on AJIO, Amazon and Flipkart (pushed in that order: account ids sort so). */
async function skuOnThreeMarketplaces() {
  const skuId = `SKU-${randomUUID().slice(0, 8)}`;
  const sellerId = `seller-${skuId}`;
  await bench.seedSku(skuId, STOCK, sellerId);
  const sellers: Seller[] = [];
  for (const marketplace of ['ajio', 'amazon', 'flipkart'] as const) {
    sellers.push(
      await bench.seedSeller({
        sellerId,
        marketplace,
        listings: [{ skuId, externalId: `${marketplace}-${skuId}`, quantity: STOCK, pricePaise: 49_900 }],
      }),
    );
  }
  return { skuId, sellers };
}

async function marketplaceQuantity(seller: Seller, skuId: string): Promise<number> {
  const { listings } = await bench.sim.seller(seller.marketplace, seller.accountId);
  return listings.find((listing) => listing.sku === `${seller.marketplace}-${skuId}`)!.quantity;
}

async function stockRow(skuId: string) {
  const { rows } = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  return rows[0];
}

/** Ledger entries of the sellers' listing updates whose key is one of this deduct's. */
async function listingUpdates(sellers: Seller[], key: string) {
  const entries = (
    await Promise.all(
      sellers.map((seller) => bench.sim.ledger({ sellerId: seller.accountId, operation: 'listings-update' })),
    )
  ).flat();
  return entries.filter((entry) => entry.idempotencyKey?.startsWith(key)).sort((a, b) => a.seq - b.seq);
}

it('reserves, pushes the new quantity to every marketplace, then commits', async () => {
  const { skuId, sellers } = await skuOnThreeMarketplaces();
  const envelope = bench.envelope('inventory.deduct', sellers[0]!, { skuId, quantity: ORDER_QUANTITY });

  const result = await bench.execute<SagaResult>(envelope);

  expect(result).toEqual({ status: 'completed', compensations: [] });
  expect(await stockRow(skuId)).toEqual({ stock: STOCK - ORDER_QUANTITY, reserved: 0 });
  for (const seller of sellers) expect(await marketplaceQuantity(seller, skuId)).toBe(STOCK - ORDER_QUANTITY);
  const { rows } = await bench.pool.query('SELECT DISTINCT quantity FROM listings WHERE sku_id = $1', [skuId]);
  expect(rows).toEqual([{ quantity: STOCK - ORDER_QUANTITY }]);
  const updates = await listingUpdates(sellers, envelope.idempotencyKey);
  expect(updates.map((u) => [u.sellerId, u.outcome])).toEqual(sellers.map((s) => [s.accountId, 'applied']));
  const saga = await bench.pool.query('SELECT saga, status FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(saga.rows).toEqual([{ saga: 'inventory-deduct', status: 'completed' }]);
});

it('takes the deduct request from the schedule that sent the message', async () => {
  const { skuId, sellers } = await skuOnThreeMarketplaces();
  const { rows } = await bench.pool.query(
    `INSERT INTO schedules (account_id, kind, cadence, next_run_at, payload) VALUES ($1, 'inventory', '1h', now(), $2)
     RETURNING id`,
    [sellers[0]!.accountId, JSON.stringify({ skuId, quantity: 5 })],
  );
  const result = await bench.execute<SagaResult>(
    bench.envelope('inventory.deduct', sellers[0]!, { scheduleId: String(rows[0].id) }),
  );
  expect(result.status).toBe('completed');
  expect(await stockRow(skuId)).toEqual({ stock: STOCK - 5, reserved: 0 });
});

describe('a failure at every step', () => {
  it.each([
    { step: 'load', payload: { skuId: 'missing-quantity' } },
    { step: 'reserve', quantity: STOCK + 1 },
  ])('fails at $step before anything needs undoing', async ({ step, payload, quantity }) => {
    const { skuId, sellers } = await skuOnThreeMarketplaces();
    const envelope = bench.envelope('inventory.deduct', sellers[0]!, payload ?? { skuId, quantity: quantity! });

    const result = await bench.execute<SagaResult>(envelope);

    expect(result).toMatchObject({ status: 'compensated', failedStep: step, compensations: [] });
    expect(await stockRow(skuId)).toEqual({ stock: STOCK, reserved: 0 });
    expect(await listingUpdates(sellers, envelope.idempotencyKey)).toEqual([]);
  });

  it.each([0, 1, 2])('fails at the push to marketplace #%i and undoes the earlier ones in reverse', async (failing) => {
    const { skuId, sellers } = await skuOnThreeMarketplaces();
    await bench.sim.addFault({
      kind: 'fail-hard',
      sellerId: sellers[failing]!.accountId,
      operation: 'listings-update',
    });
    const envelope = bench.envelope('inventory.deduct', sellers[0]!, { skuId, quantity: ORDER_QUANTITY });

    const result = await bench.execute<SagaResult>(envelope);

    const pushed = sellers.slice(0, failing);
    const stepOf = (seller: Seller) => `push:${seller.marketplace}:${seller.accountId}`;
    expect(result).toMatchObject({
      status: 'compensated',
      failedStep: stepOf(sellers[failing]!),
      compensations: [...pushed.reverse().map((s) => ({ step: stepOf(s), ok: true })), { step: 'reserve', ok: true }],
    });
    // A batch marketplace refuses the whole update; Amazon refuses the one SKU: both are a 400.
    expect(result.reason).toContain('HTTP 400');
    // Each pushed listing got exactly one undo, newest first; the failing one was tried once (no retries).
    const updates = await listingUpdates(sellers, envelope.idempotencyKey);
    const undos = updates.filter((u) => u.idempotencyKey!.endsWith(':undo'));
    expect(undos.map((u) => [u.sellerId, u.outcome])).toEqual(pushed.map((s) => [s.accountId, 'applied']));
    expect(updates.filter((u) => u.sellerId === sellers[failing]!.accountId)).toHaveLength(1);
    for (const seller of sellers) expect(await marketplaceQuantity(seller, skuId)).toBe(STOCK);
    expect(await stockRow(skuId)).toEqual({ stock: STOCK, reserved: 0 });
    const reservation = await bench.pool.query('SELECT status FROM inventory_reservations WHERE reservation_key = $1', [
      envelope.idempotencyKey,
    ]);
    expect(reservation.rows).toEqual([{ status: 'released' }]);
  });
});

it('ends in needs-attention, recorded and visible, when a compensation fails too', async () => {
  const { skuId, sellers } = await skuOnThreeMarketplaces();
  const [ajio, amazon, flipkart] = sellers as [Seller, Seller, Seller];
  await bench.sim.addFault({ kind: 'fail-hard', sellerId: flipkart.accountId, operation: 'listings-update' });
  // AJIO accepts the push, then refuses to take it back.
  await bench.sim.addFault({
    kind: 'fail-hard',
    sellerId: ajio.accountId,
    operation: 'listings-update',
    keyContains: ':undo',
  });
  const envelope = bench.envelope('inventory.deduct', ajio, { skuId, quantity: ORDER_QUANTITY });

  const result = await bench.execute<SagaResult>(envelope);

  expect(result).toMatchObject({
    status: 'needs_attention',
    failedStep: `push:flipkart:${flipkart.accountId}`,
    compensations: [
      { step: `push:amazon:${amazon.accountId}`, ok: true },
      { step: `push:ajio:${ajio.accountId}`, ok: false, error: expect.stringContaining('HTTP 400') },
      { step: 'reserve', ok: true },
    ],
  });
  const { rows } = await bench.pool.query('SELECT status, failed_step, reason FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(rows[0]).toMatchObject({ status: 'needs_attention', failed_step: `push:flipkart:${flipkart.accountId}` });
  expect(rows[0].reason).toContain('HTTP 400');
  const description = await bench.client.workflow.getHandle(workflowIdFor(envelope)).describe();
  expect(description.typedSearchAttributes.get(SagaStateKey)).toBe('needs-attention');
  // The AJIO undo ran once: the failure is non-retryable, so no second attempt hit the marketplace.
  const undos = (await listingUpdates(sellers, envelope.idempotencyKey)).filter((u) =>
    u.idempotencyKey!.endsWith(':undo'),
  );
  expect(undos.map((u) => [u.sellerId, u.outcome])).toEqual([
    [amazon.accountId, 'applied'],
    [ajio.accountId, 'fault'],
  ]);
});

it('a deduct for a disabled account fails (parked), and once the account is enabled the same id runs afresh', async () => {
  const { skuId, sellers } = await skuOnThreeMarketplaces();
  const [ajio] = sellers as [Seller];
  await bench.pool.query('UPDATE seller_accounts SET enabled = false WHERE id = $1', [ajio.accountId]);
  const envelope = bench.envelope('inventory.deduct', ajio, { skuId, quantity: ORDER_QUANTITY });

  await bench.start(envelope);
  const parked = await bench.ended(envelope);

  expect(parked).toEqual({
    status: 'failed',
    failure: { type: 'AccountDisabled', message: expect.stringContaining('parked until'), nonRetryable: true },
  });
  expect(await stockRow(skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await listingUpdates(sellers, envelope.idempotencyKey)).toEqual([]);
  const recorded = await bench.pool.query('SELECT status, failed_step FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  expect(recorded.rows).toEqual([{ status: 'compensated', failed_step: 'load' }]);

  // The operator enables the account and replays: the failed run does not hold the id, so this runs.
  await bench.pool.query('UPDATE seller_accounts SET enabled = true WHERE id = $1', [ajio.accountId]);
  await bench.start(envelope);
  const replayed = await bench.ended(envelope);

  expect(replayed).toEqual({ status: 'completed', result: { status: 'completed', compensations: [] } });
  expect(await stockRow(skuId)).toEqual({ stock: STOCK - ORDER_QUANTITY, reserved: 0 });
  for (const seller of sellers) expect(await marketplaceQuantity(seller, skuId)).toBe(STOCK - ORDER_QUANTITY);
  const updates = await listingUpdates(sellers, envelope.idempotencyKey);
  expect(updates.map((u) => [u.sellerId, u.outcome])).toEqual(sellers.map((s) => [s.accountId, 'applied']));
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThanOrEqual(7);
  expect(await bench.secretsInHistories()).toEqual([]);
});
