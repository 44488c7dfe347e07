/**
 * The whole data flow with every real part: due schedules in PostgreSQL → the scheduling sweep →
 * SQS (FIFO and Standard) → the pollers → the service's workflows and activities → the marketplace
 * simulator and PostgreSQL; and a caller's deduct as an `inventory.deduct` message on the seller's
 * FIFO group. Nothing is started by hand past the sweep and the send.
 */
import { randomUUID } from 'node:crypto';
import { findSweep } from '../../src/sweeps/registry';
import { runSweep } from '../../src/sweeps/run-sweep';
import { eventually } from '../support/pipeline';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench({}, async (created) => {
  for (const name of ['inventory-deduct', 'marketplace-push-meesho', 'payout-sync']) await created.startPoller(name);
});

it('a sweep of due schedules and a deduct end in marketplace updates, a drift repair and stored payouts', async () => {
  const past = new Date(Date.now() - 60_000);
  const sellerId = `e2e-${randomUUID().slice(0, 8)}`;
  await bench.seedSku('E2E-1', 40, sellerId);
  const seller = await bench.seedSeller({
    sellerId,
    marketplace: 'meesho',
    listings: [{ skuId: 'E2E-1', quantity: 40, pricePaise: 12_300, atMarketplace: { quantity: 1 } }],
    payouts: [{ payoutId: 'e2e-p1', orderId: 'e2e-o1', amountPaise: 4_200, paidAt: past.toISOString() }],
  });
  // The `inventory` schedule reads the account's listings back and repairs drift (inventory.repair).
  for (const [kind, payload] of [
    ['inventory', {}],
    ['marketplace-push', {}],
    ['payouts', {}],
  ] as const) {
    await bench.pool.query(
      `INSERT INTO schedules (account_id, kind, cadence, next_run_at, payload) VALUES ($1, $2, '1h', $3, $4)`,
      [seller.accountId, kind, past, JSON.stringify(payload)],
    );
  }

  const report = await runSweep(bench.t.deps, findSweep('scheduling-sweep'), { trigger: 'manual' });
  expect(report.messagesSent).toBe(3);
  await bench.send(bench.envelope('inventory.deduct', seller, { skuId: 'E2E-1', quantity: 2 }));

  const done = await eventually(
    () => bench.pool.query('SELECT count(*)::int AS n FROM saga_runs WHERE account_id = $1', [seller.accountId]),
    (result) => result.rows[0].n === 2,
  );
  expect(done.rows[0].n).toBe(2);
  const payouts = await eventually(
    () => bench.pool.query('SELECT external_id FROM payouts WHERE account_id = $1', [seller.accountId]),
    (result) => result.rowCount === 1,
  );
  expect(payouts.rows).toEqual([{ external_id: 'e2e-p1' }]);

  const { rows } = await bench.pool.query('SELECT saga, status FROM saga_runs WHERE account_id = $1 ORDER BY saga', [
    seller.accountId,
  ]);
  expect(rows).toEqual([
    { saga: 'inventory-deduct', status: 'completed' },
    { saga: 'marketplace-push', status: 'completed' },
  ]);
  const completed = await eventually(
    () => bench.pool.query('SELECT message_type FROM completed_work WHERE account_id = $1', [seller.accountId]),
    (result) => result.rowCount === 4,
  );
  expect(completed.rows.map((row) => row.message_type).sort()).toEqual([
    'inventory.deduct',
    'inventory.repair',
    'marketplace.push',
    'payout.sync',
  ]);
  // Whichever ran first, the listing ends at the stock left after the deduct, never at 1 or 40.
  const { listings } = await bench.sim.seller('meesho', seller.accountId);
  expect(listings[0]).toMatchObject({ sku: 'E2E-1', pricePaise: 12_300, quantity: 38 });
  expect((await bench.pool.query('SELECT stock FROM skus WHERE id = $1', ['E2E-1'])).rows[0].stock).toBe(38);
  // The pollers deleted every message once its workflow completed.
  expect(await bench.t.drainAll()).toEqual([]);
}, 90_000);
