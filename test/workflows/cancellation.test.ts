/**
 * What a cancel does to an activity in flight (docs/operations.md, "What a cancel does to work in
 * flight"), on the real stack with a simulator of this file's own (its `latency` rules may drop a
 * request whose client hung up, as a marketplace's gateway drops a queued request):
 * - a push held at the marketplace is aborted: it never applies, the saga compensates, and the
 *   marketplaces and PostgreSQL agree;
 * - a step stuck on a PostgreSQL lock has its statement cancelled on the server, and its transaction
 *   commits nothing.
 * Expectations come from the seeded stock and the message's quantity, never from our tables.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Envelope } from '../../src/contracts/envelope';
import { eventually } from '../support/pipeline';
import { benchOnOwnSimulator } from '../support/own-simulator';
import { listedSku, pushInFlight, shownQuantities, type ListedSku } from '../support/stock';

jest.setTimeout(180_000);

const own = benchOnOwnSimulator();

const STOCK = 100;
const ORDER_QUANTITY = 3;
/**
 * How long the marketplace holds the push: longer than a cancel takes to reach the activity (a
 * heartbeat every few seconds), shorter than the call's own timeout (MARKETPLACE_TIMEOUT_MS, 15 s), so
 * only the cancel can stop it.
 */
const HELD_MS = 10_000;

const deductOf = (sku: ListedSku) =>
  own.bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

async function stockRow(skuId: string) {
  const { rows } = await own.bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  return rows[0];
}

async function sagaRow(envelope: Envelope) {
  const { rows } = await own.bench.pool.query('SELECT status, failed_step FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  return rows[0];
}

/** Cancels the workflow and waits for it to end; it must end cancelled. */
async function cancelAndWait(envelope: Envelope): Promise<void> {
  const handle = own.bench.client.workflow.getHandle(workflowIdFor(envelope));
  await handle.cancel();
  await handle.result().catch(() => undefined);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
}

/** Per account, the quantities its marketplace applied for the SKU, in order. */
async function appliedPerAccount(sku: ListedSku): Promise<number[][]> {
  return Promise.all(
    sku.accounts.map(async (account) =>
      (await own.bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })).flatMap((entry) =>
        entry.applied.map((change) => change.quantity!),
      ),
    ),
  );
}

it('a cancel aborts the push held at the marketplace: it never applies, the saga compensates, both sides agree', async () => {
  const sku = await listedSku(own.bench, STOCK, ['ajio', 'flipkart']);
  await own.bench.sim.addFault({
    kind: 'latency',
    ms: HELD_MS,
    dropOnHangUp: true,
    sellerId: sku.accounts[1]!.accountId,
    operation: 'listings-update',
    times: 1,
  });
  const envelope = deductOf(sku);
  const heldFrom = Date.now();
  await own.bench.start(envelope);
  await pushInFlight(own.bench.pool);

  await cancelAndWait(envelope);
  // Past the moment the held push would have been applied, had it not been aborted.
  await sleep(Math.max(0, heldFrom + HELD_MS + 2_000 - Date.now()));

  // The first account took the deduct and its undo; the held push never reached the second, which
  // only heard the undo's republish (the release's version).
  expect(await appliedPerAccount(sku)).toEqual([[STOCK - ORDER_QUANTITY, STOCK], [STOCK]]);
  expect(await sagaRow(envelope)).toEqual({
    status: 'compensated',
    failed_step: 'push:flipkart:' + sku.accounts[1]!.accountId,
  });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await shownQuantities(own.bench, sku)).toEqual([STOCK, STOCK]);
});

describe('a step stuck on a PostgreSQL lock', () => {
  /** The reserve's statement while it waits for the SKU's row lock, by its backend. */
  const waitingReserve = async () =>
    (
      await own.bench.pool.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%FROM skus%FOR UPDATE%'`,
      )
    ).rows;

  it('is cancelled on the server: the statement is gone while the lock is still held, and nothing is committed', async () => {
    const sku = await listedSku(own.bench, STOCK, ['ajio']);
    const blocker = await own.bench.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM skus WHERE id = $1 FOR UPDATE', [sku.skuId]);
      const envelope = deductOf(sku);
      await own.bench.start(envelope);
      const [stuck] = await eventually(waitingReserve, (rows) => rows.length === 1, 30_000);

      await cancelAndWait(envelope);

      // Still holding the lock: the reserve's backend no longer waits on it, nor sits in a transaction.
      const { rows } = await own.bench.pool.query<{ state: string | null; wait: string | null }>(
        'SELECT state, wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1',
        [stuck!.pid],
      );
      expect(rows.filter((row) => row.wait === 'Lock' || row.state?.includes('in transaction'))).toEqual([]);
      expect(await waitingReserve()).toEqual([]);
      expect(await sagaRow(envelope)).toEqual({ status: 'compensated', failed_step: 'reserve' });
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    // Nothing of the cancelled reserve was committed: no reservation, no movement, the stock untouched.
    expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
    const { rows: reservations } = await own.bench.pool.query(
      'SELECT 1 FROM inventory_reservations WHERE sku_id = $1',
      [sku.skuId],
    );
    expect(reservations).toEqual([]);
    expect(await shownQuantities(own.bench, sku)).toEqual([STOCK]);
  });
});
