/**
 * What a cancel does to an activity in flight (docs/operations.md, "What a cancel does to work in
 * flight"), on the real stack:
 * - a push waiting for its listings' locks is stopped there: it never goes out, the saga compensates,
 *   and the marketplaces and PostgreSQL agree;
 * - a push already on the wire is not abandoned: its answer is awaited, so it lands before the
 *   activity's cancel completes and never after the saga's undo;
 * - a step stuck on a PostgreSQL lock has its statement cancelled on the server, and its transaction
 *   commits nothing.
 * Expectations come from the seeded stock and the message's quantity, never from our tables.
 */
import type { temporal } from '@temporalio/proto';
import { workflowIdFor } from '../../src/contracts/workflows';
import type { Envelope } from '../../src/contracts/envelope';
import { eventually } from '../support/pipeline';
import {
  holdNextListingUpdate,
  listedSku,
  pushInFlight,
  shownQuantities,
  waitingForLock,
  type ListedSku,
} from '../support/stock';
import { useWorkflowBench } from '../support/workflow-bench';

jest.setTimeout(180_000);

const bench = useWorkflowBench();

const STOCK = 100;
const ORDER_QUANTITY = 3;

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const deductOf = (sku: ListedSku) =>
  bench.envelope('inventory.deduct', sku.accounts[0]!, { skuId: sku.skuId, quantity: ORDER_QUANTITY });

const handleOf = (envelope: Envelope) => bench.client.workflow.getHandle(workflowIdFor(envelope));

async function stockRow(skuId: string) {
  const { rows } = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  return rows[0];
}

async function sagaRow(envelope: Envelope) {
  const { rows } = await bench.pool.query('SELECT status, failed_step FROM saga_runs WHERE workflow_id = $1', [
    workflowIdFor(envelope),
  ]);
  return rows[0];
}

/** Waits for the workflow to end; it must end cancelled. */
async function endsCancelled(envelope: Envelope): Promise<void> {
  await handleOf(envelope)
    .result()
    .catch(() => undefined);
  expect((await handleOf(envelope).describe()).status.name).toBe('CANCELLED');
}

/** Per account, the ledger's applied quantities for the SKU, in order, with when each was applied. */
async function appliedPerAccount(sku: ListedSku): Promise<{ quantity: number; at: number }[][]> {
  return Promise.all(
    sku.accounts.map(async (account) =>
      (await bench.sim.ledger({ sellerId: account.accountId, operation: 'listings-update' })).flatMap((entry) =>
        entry.applied.map((change) => ({ quantity: change.quantity!, at: Date.parse(entry.at) })),
      ),
    ),
  );
}
const quantitiesOf = (applied: { quantity: number }[][]) => applied.map((list) => list.map((a) => a.quantity));

const eventMs = (event: HistoryEvent) =>
  Number(event.eventTime!.seconds) * 1_000 + Math.floor((event.eventTime!.nanos ?? 0) / 1e6);

/**
 * How the push that was running when the workflow's cancel was requested ended (the name of its
 * closing event) and when, from the workflow's history; undefined while it runs.
 */
async function interruptedPush(envelope: Envelope): Promise<{ ending: string; at: number } | undefined> {
  const events: HistoryEvent[] = (await handleOf(envelope).fetchHistory()).events ?? [];
  const cancelAt = events.findIndex((event) => event.workflowExecutionCancelRequestedEventAttributes);
  const push = events
    .slice(0, cancelAt)
    .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'pushStock')
    .at(-1);
  for (const event of events) {
    const closings = {
      canceled: event.activityTaskCanceledEventAttributes,
      completed: event.activityTaskCompletedEventAttributes,
      failed: event.activityTaskFailedEventAttributes,
      timedOut: event.activityTaskTimedOutEventAttributes,
    };
    for (const [ending, attributes] of Object.entries(closings)) {
      if (attributes && Number(attributes.scheduledEventId) === Number(push?.eventId)) {
        return { ending, at: eventMs(event) };
      }
    }
  }
  return undefined;
}

/** The second account's push, waiting for its listing's row lock (held by the test), by its backend. */
const waitingForListing = () => waitingForLock(bench.pool, '%FROM listings%FOR UPDATE%');

it('a cancel stops a push waiting for its locks: it never goes out, the saga compensates, both sides agree', async () => {
  const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
  const blocker = await bench.pool.connect();
  const envelope = deductOf(sku);
  let interrupted: { ending: string; at: number } | undefined;
  try {
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM listings WHERE account_id = $1 AND sku_id = $2 FOR UPDATE', [
      sku.accounts[1]!.accountId,
      sku.skuId,
    ]);
    await bench.start(envelope);
    await eventually(waitingForListing, (rows) => rows.length === 1, 30_000);

    await handleOf(envelope).cancel();
    // The push's end, while its listing is still locked (its undo's republish will need the lock).
    interrupted = await eventually(() => interruptedPush(envelope), Boolean, 60_000);
  } finally {
    await blocker.query('ROLLBACK');
    blocker.release();
  }
  await endsCancelled(envelope);

  expect(interrupted?.ending).toBe('canceled');
  // The first account took the deduct and its undo; the second never heard the push, only the
  // undo's republish (the release's version).
  expect(quantitiesOf(await appliedPerAccount(sku))).toEqual([[STOCK - ORDER_QUANTITY, STOCK], [STOCK]]);
  expect(await sagaRow(envelope)).toEqual({
    status: 'compensated',
    failed_step: 'push:flipkart:' + sku.accounts[1]!.accountId,
  });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await shownQuantities(bench, sku)).toEqual([STOCK, STOCK]);
});

it('a cancel lets a push already on the wire land before the cancel completes, then undoes it', async () => {
  const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
  // Held below the call's own timeout (MARKETPLACE_TIMEOUT_MS, 15 s): it answers.
  await holdNextListingUpdate(bench, sku.accounts[1]!, 8_000);
  const envelope = deductOf(sku);
  await bench.start(envelope);
  await pushInFlight(bench.pool);

  await handleOf(envelope).cancel();
  await endsCancelled(envelope);

  const interrupted = await interruptedPush(envelope);
  expect(interrupted?.ending).toBe('canceled');
  const applied = await appliedPerAccount(sku);
  expect(quantitiesOf(applied)).toEqual([
    [STOCK - ORDER_QUANTITY, STOCK],
    [STOCK - ORDER_QUANTITY, STOCK],
  ]);
  // The held push landed before its activity's cancel completed, so before the undo could start.
  expect(applied[1]![0]!.at).toBeLessThanOrEqual(interrupted!.at);
  expect(await sagaRow(envelope)).toEqual({
    status: 'compensated',
    failed_step: 'push:flipkart:' + sku.accounts[1]!.accountId,
  });
  expect(await stockRow(sku.skuId)).toEqual({ stock: STOCK, reserved: 0 });
  expect(await shownQuantities(bench, sku)).toEqual([STOCK, STOCK]);
});

describe('a step stuck on a PostgreSQL lock', () => {
  /** The reserve's statement while it waits for the SKU's row lock, by its backend. */
  const waitingReserve = () => waitingForLock(bench.pool, '%FROM skus%FOR UPDATE%');

  it('is cancelled on the server: the statement is gone while the lock is still held, and nothing is committed', async () => {
    const sku = await listedSku(bench, STOCK, ['ajio']);
    const blocker = await bench.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT id FROM skus WHERE id = $1 FOR UPDATE', [sku.skuId]);
      const envelope = deductOf(sku);
      await bench.start(envelope);
      const [stuck] = await eventually(waitingReserve, (rows) => rows.length === 1, 30_000);

      await handleOf(envelope).cancel();
      await endsCancelled(envelope);

      // Still holding the lock: the reserve's backend no longer waits on it, nor sits in a transaction.
      const { rows } = await bench.pool.query<{ state: string | null; wait: string | null }>(
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
    const { rows: reservations } = await bench.pool.query('SELECT 1 FROM inventory_reservations WHERE sku_id = $1', [
      sku.skuId,
    ]);
    expect(reservations).toEqual([]);
    expect(await shownQuantities(bench, sku)).toEqual([STOCK]);
  });
});
