/**
 * Valid messages with hostile content, sent to the real queues and run by the real pollers, the
 * service's workflows and activities: accounts that do not exist or are disabled, SQL-looking ids
 * in a payload, and a marketplace that lists documents under path-like ids or orders under an
 * SQL-looking id. Each ends in a failed workflow (non-retryable, its message naming the problem) or
 * a saga or document row that says why; valid work sent alongside completes; tables stay intact.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Envelope } from '../../src/contracts/envelope';
import type { SagaResult } from '../../src/workflows/saga';
import { PATH_LIKE_IDS, SQL_LOOKING, tableRowCounts } from '../support/hostile';
import { useWorkflowBench, type Seller, type WorkflowEnd } from '../support/workflow-bench';

jest.setTimeout(60_000);

const bench = useWorkflowBench({}, async (created) => {
  for (const queue of ['account-sync', 'inventory-deduct', 'marketplace-push-meesho', 'document-download']) {
    await created.startPoller(queue);
  }
});

// Ids of this run's own: workflow ids follow them, and Temporal keeps earlier runs' workflows for 15 days.
const ghostId = randomUUID().slice(0, 8);
const ghost: Seller = { accountId: `ghost-${ghostId}`, sellerId: `ghost-seller-${ghostId}`, marketplace: 'meesho' };
const byId = (a: { external_id: string }, b: { external_id: string }) => (a.external_id < b.external_id ? -1 : 1);

/** Sends every message in order, then waits for how each one's workflow ended. */
async function run(...envelopes: Envelope[]): Promise<WorkflowEnd[]> {
  for (const envelope of envelopes) await bench.send(envelope);
  return Promise.all(envelopes.map((envelope) => bench.ended(envelope)));
}

const failedFor = (type: string, message: string): WorkflowEnd => ({
  status: 'failed',
  failure: { type, message, nonRetryable: true },
});
const completed = (result: unknown = expect.anything()): WorkflowEnd => ({ status: 'completed', result });

async function disabledSeller(): Promise<Seller> {
  const seller = await bench.seedSeller({
    marketplace: 'meesho',
    listings: [{ skuId: `HS-${randomUUID().slice(0, 8)}`, quantity: 3, pricePaise: 100 }],
  });
  await bench.pool.query('UPDATE seller_accounts SET enabled = false WHERE id = $1', [seller.accountId]);
  return seller;
}

it('a message for an account that does not exist fails for good, naming it; the next account’s work runs', async () => {
  const good = await bench.seedSeller({ marketplace: 'meesho' });
  const ends = await run(
    bench.envelope('account.sync', ghost),
    bench.envelope('account.sync', good),
    bench.envelope('marketplace.push', ghost),
  );
  expect(ends).toEqual([
    failedFor('UnknownAccount', `account ${ghost.accountId} does not exist`),
    completed({ orders: 0, returns: 0 }),
    // The saga compensates (nothing to undo), then fails so the message is dead-lettered at once.
    failedFor('SagaCompensated', `load refused (account ${ghost.accountId} does not exist); saga compensated`),
  ]);
});

it('a message for a disabled account fails (to be parked) and reaches no marketplace', async () => {
  const off = await disabledSeller();
  const good = await bench.seedSeller({ marketplace: 'meesho' });
  const ends = await run(
    bench.envelope('account.sync', off),
    bench.envelope('marketplace.push', off),
    bench.envelope('account.sync', good),
  );
  expect(ends).toEqual([
    failedFor('AccountDisabled', `account ${off.accountId} is disabled`),
    // The saga compensates what it did (nothing, here), then fails so the message is parked, not deleted.
    failedFor(
      'AccountDisabled',
      `parked until the account is enabled again: load refused (account ${off.accountId} is disabled); saga compensated`,
    ),
    completed({ orders: 0, returns: 0 }),
  ]);
  expect(await bench.sim.ledger({ sellerId: off.accountId })).toEqual([]);
  const { rows } = await bench.pool.query('SELECT status, reason FROM saga_runs WHERE account_id = $1', [
    off.accountId,
  ]);
  expect(rows).toEqual([{ status: 'compensated', reason: `account ${off.accountId} is disabled` }]);
});

it('SQL-looking ids in a deduct payload end the saga with the reason, between valid deducts of the same seller', async () => {
  const skuId = `SQL-${randomUUID().slice(0, 8)}`;
  const seller = await bench.seedSeller({ marketplace: 'meesho', listings: [{ skuId, quantity: 5, pricePaise: 100 }] });
  const before = await tableRowCounts(bench.pool);
  const messages = [
    bench.envelope('inventory.deduct', seller, { skuId, quantity: 1 }),
    bench.envelope('inventory.deduct', seller, { skuId: SQL_LOOKING, quantity: 1 }),
    bench.envelope('inventory.deduct', seller, { scheduleId: SQL_LOOKING }),
    bench.envelope('inventory.deduct', seller, { skuId, quantity: 1 }),
  ];

  const results = (await run(...messages)).map((end) => (end.status === 'completed' ? end.result : end));

  expect(results).toEqual([
    { status: 'completed', compensations: [] },
    // A SKU that is not the seller's (none is) is refused for good: compensated, then dead-lettered.
    failedFor(
      'UnknownSku',
      `refused for good: reserve refused (SKU ${JSON.stringify(SQL_LOOKING)} does not exist); saga compensated`,
    ),
    failedFor(
      'SagaCompensated',
      'load refused (the message payload must give skuId (text) and quantity (a whole number above 0)); saga compensated',
    ),
    { status: 'completed', compensations: [] },
  ] satisfies (SagaResult | WorkflowEnd)[]);
  expect(await tableRowCounts(bench.pool)).toEqual({ ...before, saga_runs: before.saga_runs + 4 });
  const stock = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
  expect(stock.rows[0]).toEqual({ stock: 1_000 - 2, reserved: 0 });
});

it('documents listed under path-like ids are rejected with the reason; the account’s other documents download', async () => {
  const content = Buffer.from('%PDF-1.7 fine');
  const listed = (documentId: string) => ({
    documentId,
    kind: 'invoice',
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    content: content.toString('base64'),
  });
  const seller = await bench.seedSeller({
    marketplace: 'meesho',
    documents: [...PATH_LIKE_IDS, '..', 'fine-1'].map(listed),
  });
  const download = () => run(bench.envelope('document.download', seller));

  expect(await download()).toEqual([completed({ downloaded: [{ documentId: 'fine-1', sha256: expect.any(String) }] })]);
  // Rejected for good: the next run neither fails on them nor tries them again.
  expect(await download()).toEqual([completed({ downloaded: [] })]);
  const { rows } = await bench.pool.query<{ external_id: string }>(
    'SELECT external_id, rejected_reason, storage_path FROM documents WHERE account_id = $1',
    [seller.accountId],
  );
  const rejected = [...PATH_LIKE_IDS, '..'].map((id) => ({
    external_id: id,
    rejected_reason: `document id ${JSON.stringify(id)} is not safe as a file name`,
    storage_path: null,
  }));
  const fine = { external_id: 'fine-1', rejected_reason: null, storage_path: expect.stringContaining('fine-1') };
  expect(rows.sort(byId)).toEqual([...rejected, fine].sort(byId));
  const store = bench.t.config.marketplaces.documentStoreDir!;
  expect(readdirSync(path.join(store, 'meesho', seller.accountId))).toEqual(['fine-1']);
  expect(existsSync(path.join(store, 'etc'))).toBe(false);
});

it('an order listed under an SQL-looking id is stored as text; every table is intact', async () => {
  const seller = await bench.seedSeller({
    marketplace: 'meesho',
    orders: [
      {
        orderId: SQL_LOOKING,
        status: "shipped'); DELETE FROM orders; --",
        totalPaise: 100,
        orderedAt: new Date(Date.now() - 60_000).toISOString(),
        lines: [{ sku: "x' OR '1'='1", quantity: 1 }],
      },
    ],
  });
  const before = await tableRowCounts(bench.pool);

  expect(await run(bench.envelope('account.sync', seller))).toEqual([completed({ orders: 1, returns: 0 })]);

  const { rows } = await bench.pool.query('SELECT external_id, status FROM orders WHERE account_id = $1', [
    seller.accountId,
  ]);
  expect(rows).toEqual([{ external_id: SQL_LOOKING, status: "shipped'); DELETE FROM orders; --" }]);
  expect(await tableRowCounts(bench.pool)).toEqual(before);
});
