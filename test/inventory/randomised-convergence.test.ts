/**
 * docs/inventory.md's invariant under a randomised workload, on both SQS servers: after any
 * interleaving of orders, shipments, cancellations, returns, order syncs, pushes, manual deducts,
 * redeliveries, replays and transient marketplace faults, across sellers whose accounts share SKUs,
 * once quiet:
 * - PostgreSQL's available stock of every SKU is what the inputs say (seeded stock, the orders the
 *   marketplaces accepted and their last status, the deducts that completed);
 * - every listing at every marketplace shows max(available, 0) of its SKU;
 * - every order line moved its SKU by exactly its net effect, once (no line counted twice across
 *   re-syncs, redeliveries and replays);
 * - no push ever showed more than the stock available when the marketplace took it.
 * The run ends with a wave of cancellations and returns only, so stock that only comes back must
 * reach every listing on its own. Production settings throughout (retry delays, batch sizes, leases).
 * The seed is printed; set INVENTORY_SEED to replay a run's plan.
 */
import { WorkflowBench } from '../support/workflow-bench';
import { sqsServers, queueIsEmpty } from '../support/sqs';
import { expectedLineEffects, externalId, InventoryWorkload } from '../support/inventory-workload';

jest.setTimeout(30 * 60_000);

const SELLERS = 5;
const OPERATIONS = 240;
const QUEUES = [
  'account-sync',
  'inventory-deduct',
  'marketplace-push-ajio',
  'marketplace-push-amazon',
  'marketplace-push-flipkart',
  'marketplace-push-meesho',
];
const baseSeed = Number(process.env.INVENTORY_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** Quiet: every queue empty and every outbox row sent, twice in a row a few seconds apart. */
async function quiet(bench: WorkflowBench, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let calmChecks = 0;
  while (calmChecks < 2) {
    if (Date.now() > deadline) throw new Error(`the workload did not settle within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const empty = await Promise.all(QUEUES.map((q) => queueIsEmpty(bench.t.deps.sqs, bench.t.queueUrl(q))));
    const { rows } = await bench.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM dispatch_claims WHERE sent_at IS NULL',
    );
    calmChecks = empty.every(Boolean) && rows[0]!.n === 0 ? calmChecks + 1 : 0;
  }
}

describe.each(sqsServers())('randomised inventory workload on %s', (server, serverEnv) => {
  let bench: WorkflowBench;
  let workload: InventoryWorkload;
  const seed = baseSeed + (server === 'fauxqs' ? 0 : 1);

  beforeAll(async () => {
    bench = await WorkflowBench.create({ env: serverEnv });
    for (const queue of QUEUES) await bench.startPoller(queue);
    workload = new InventoryWorkload(bench, seed);
    await workload.seedSellers(SELLERS);
    await workload.runOperations(OPERATIONS);
    await workload.finalSync();
    await quiet(bench, 15 * 60_000);
    // Then only stock coming back, and the syncs that see it: nothing after them pushes by chance.
    await workload.closingWave();
    await workload.finalSync();
    await quiet(bench, 15 * 60_000);
  }, 30 * 60_000);
  afterAll(() => bench?.close());

  /** Available per SKU from the inputs: seeded stock, accepted orders by last status, completed deducts. */
  async function expectedAvailable(): Promise<Map<string, number>> {
    const available = new Map<string, number>();
    for (const seller of workload.sellers) for (const [sku, units] of seller.stock) available.set(sku, units);
    for (const order of workload.orders) {
      for (const effect of expectedLineEffects(order)) {
        available.set(effect.skuId, available.get(effect.skuId)! + effect.stock - effect.reserved);
      }
    }
    for (const deduct of workload.deducts.values()) {
      const end = await bench.ended(deduct.envelope);
      // A deduct is refused for want of stock, or runs to completion: either way its workflow says which.
      const completed = end.status === 'completed' && (end.result as { status: string }).status === 'completed';
      if (completed) available.set(deduct.skuId, available.get(deduct.skuId)! - deduct.quantity);
    }
    return available;
  }

  it('ends with every listing at its SKU’s available stock, and PostgreSQL agreeing with the inputs', async () => {
    const expected = await expectedAvailable();
    const { rows } = await bench.pool.query<{ id: string; available: number }>(
      'SELECT id, stock - reserved AS available FROM skus WHERE id = ANY($1)',
      [[...expected.keys()]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.available]))).toEqual(Object.fromEntries(expected));

    const shown = await workload.marketplaceQuantities();
    const mismatches: string[] = [];
    for (const seller of workload.sellers) {
      for (const account of seller.accounts) {
        for (const sku of seller.stock.keys()) {
          const want = Math.max(expected.get(sku)!, 0);
          const got = shown.get(`${account.accountId}/${externalId(account, sku)}`);
          if (got !== want) mismatches.push(`${account.accountId} ${sku}: marketplace ${got}, available ${want}`);
        }
      }
    }
    const listings = workload.sellers.reduce((n, s) => n + s.accounts.length * s.stock.size, 0);
    console.log(
      `randomised inventory on ${server}: seed ${seed}, ${OPERATIONS} operations ${JSON.stringify(workload.figures.operations)}, ` +
        `${workload.figures.sellers} sellers, ${workload.figures.accounts} accounts, ${workload.figures.skus} SKUs, ` +
        `${listings} listings, orders accepted ${workload.figures.ordersAccepted} / refused ${workload.figures.ordersRefused}, ` +
        `messages ${workload.figures.messagesSent}, mismatches ${mismatches.length}`,
    );
    expect(mismatches).toEqual([]);
  });

  it('moved each order line by exactly its net effect, once', async () => {
    const { rows } = await bench.pool.query<{ order_id: string; sku_id: string; stock: number; reserved: number }>(
      `SELECT order_id, sku_id, sum(stock_delta)::int AS stock, sum(reserved_delta)::int AS reserved
         FROM stock_movements WHERE order_id IS NOT NULL AND sku_id = ANY($1) GROUP BY order_id, sku_id`,
      [workload.sellers.flatMap((s) => [...s.stock.keys()])],
    );
    const moved = new Map(rows.map((r) => [`${r.order_id}/${r.sku_id}`, { stock: r.stock, reserved: r.reserved }]));
    const wrong: string[] = [];
    for (const order of workload.orders) {
      for (const effect of expectedLineEffects(order)) {
        const got = moved.get(`${order.orderId}/${effect.skuId}`) ?? { stock: 0, reserved: 0 };
        if (got.stock !== effect.stock || got.reserved !== effect.reserved) {
          wrong.push(
            `${order.orderId} ${effect.skuId} (${order.status}): moved ${JSON.stringify(got)}, want ${JSON.stringify(effect)}`,
          );
        }
      }
    }
    const known = new Set(workload.orders.map((o) => o.orderId));
    const strays = rows.filter((r) => !known.has(r.order_id)).map((r) => `${r.order_id} ${r.sku_id}`);
    expect({ wrong, strays }).toEqual({ wrong: [], strays: [] });
  });

  it('never pushed a quantity above the stock available when the marketplace took it', async () => {
    const skuOf = new Map<string, string>();
    const seeded = new Map<string, number>();
    for (const seller of workload.sellers) {
      for (const [sku, units] of seller.stock) {
        seeded.set(sku, units);
        for (const account of seller.accounts) skuOf.set(`${account.accountId}/${externalId(account, sku)}`, sku);
      }
    }
    const { rows: movements } = await bench.pool.query<{ sku_id: string; at: Date; delta: number }>(
      `SELECT sku_id, created_at AS at, (stock_delta - reserved_delta)::int AS delta
         FROM stock_movements WHERE sku_id = ANY($1) ORDER BY created_at`,
      [[...seeded.keys()]],
    );
    const availableAt = (sku: string, at: number) =>
      movements
        .filter((m) => m.sku_id === sku && m.at.getTime() < at)
        .reduce((sum, m) => sum + m.delta, seeded.get(sku)!);
    const pushes = await workload.pushedQuantities();
    const above = pushes.flatMap((push) => {
      const sku = skuOf.get(`${push.accountId}/${push.sku}`)!;
      const limit = Math.max(availableAt(sku, push.at), 0);
      return push.quantity > limit
        ? [`${push.accountId} ${push.sku} at ${new Date(push.at).toISOString()}: ${push.quantity} > ${limit}`]
        : [];
    });
    console.log(
      `randomised inventory on ${server}: ${pushes.length} pushed quantities checked, ${above.length} above available`,
    );
    expect(pushes.length).toBeGreaterThan(0);
    expect(above).toEqual([]);
  });
});
