/**
 * PostgreSQL restarted while a deduct saga commits: the commit retries until PostgreSQL is back
 * (without limit: it must never be given up and undone once the marketplaces show the deduction), and
 * the saga completes with nothing undone. On a PostgreSQL of this file's own, so stopping it disturbs
 * no other test. The commit is caught in flight by holding its reservation row locked from a session
 * of the test's own (a synchronisation point: the commit waits on that lock when PostgreSQL stops).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { portFromEnv } from '../../scripts/stack/service';
import { postgresService } from '../../scripts/stack/services/postgres';
import { startService, stopService } from '../../scripts/stack/stack';
import { workflowIdFor } from '../../src/contracts/workflows';
import { eventually } from '../support/pipeline';
import { privateDataDir, usePrivateServer } from '../support/private-server';
import { appliedQuantities, listedSku, shownQuantities } from '../support/stock';
import { useWorkflowBench } from '../support/workflow-bench';

jest.setTimeout(300_000);

const port = portFromEnv('STACK_TEST_SAGA_POSTGRES_PORT', 25442);
const dataDir = privateDataDir('saga-postgres');
const server = postgresService({ name: 'saga-postgres', port, dataDir });
usePrivateServer(server, dataDir);
const databaseUrl = server.env!().DATABASE_URL!;

/**
 * Longer than the commit's retries lasted before they were made unlimited (ten attempts 0.5 s to 10 s
 * apart: under a minute), as a PostgreSQL fail-over can.
 */
const OUTAGE_MS = 70_000;
const STOCK = 100;
const ORDER_QUANTITY = 4;

const bench = useWorkflowBench({ env: { DATABASE_URL: databaseUrl } });

/** A session of the test's own holding the run's reservation row, so the commit waits on it. */
async function holdReservation(messageKey: string): Promise<Client> {
  const session = new Client({ connectionString: databaseUrl });
  session.on('error', () => undefined); // it dies with the server
  await session.connect();
  await eventually(
    async () =>
      (
        await session.query('SELECT 1 FROM inventory_reservations WHERE left(reservation_key, length($1)) = $1', [
          `${messageKey}@`,
        ])
      ).rowCount,
    (found) => (found ?? 0) > 0,
    30_000,
  );
  await session.query('BEGIN');
  await session.query('SELECT 1 FROM inventory_reservations WHERE left(reservation_key, length($1)) = $1 FOR UPDATE', [
    `${messageKey}@`,
  ]);
  return session;
}

async function commitWaiting(): Promise<void> {
  await eventually(
    async () =>
      (
        await bench.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE inventory_reservations%'`,
        )
      ).rows[0]!.n,
    (n) => n > 0,
    60_000,
  );
}

it('a commit caught by a PostgreSQL restart retries until it is back; the saga completes, nothing undone', async () => {
  const sku = await listedSku(bench, STOCK, ['ajio', 'flipkart']);
  const envelope = bench.envelope('inventory.deduct', sku.accounts[0]!, {
    skuId: sku.skuId,
    quantity: ORDER_QUANTITY,
  });

  const handle = await bench.start(envelope);
  const session = await holdReservation(envelope.idempotencyKey);
  await commitWaiting();
  expect(await stopService(server)).toBe(true);
  await sleep(OUTAGE_MS);
  await startService(server);
  await session.end().catch(() => undefined);

  expect(await handle.result()).toEqual({ status: 'completed', compensations: [] });
  expect((await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [sku.skuId])).rows[0]).toEqual({
    stock: STOCK - ORDER_QUANTITY,
    reserved: 0,
  });
  const moves = await bench.pool.query('SELECT kind, quantity FROM stock_movements WHERE sku_id = $1 ORDER BY id', [
    sku.skuId,
  ]);
  expect(moves.rows).toEqual([
    { kind: 'reserve', quantity: ORDER_QUANTITY },
    { kind: 'commit', quantity: ORDER_QUANTITY },
  ]);
  // Each marketplace was told the deduction once, and nothing after: no undo.
  expect(await shownQuantities(bench, sku)).toEqual([STOCK - ORDER_QUANTITY, STOCK - ORDER_QUANTITY]);
  expect((await appliedQuantities(bench, sku.accounts)).map((applied) => applied.quantity)).toEqual([
    STOCK - ORDER_QUANTITY,
    STOCK - ORDER_QUANTITY,
  ]);
  const saga = await bench.pool.query('SELECT status FROM saga_runs WHERE workflow_id = $1', [workflowIdFor(envelope)]);
  expect(saga.rows).toEqual([{ status: 'completed' }]);
});
