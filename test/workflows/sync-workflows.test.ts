/**
 * The read workflows on the real stack: account sync, AJIO orders autosync, returns, payouts,
 * documents and reconciliation, each checked in PostgreSQL (and the document store), for all four
 * marketplaces' authentication schemes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { MARKETPLACES } from '../../src/contracts/marketplaces';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

/** Delivered orders of one SKU, as the marketplace knows it; order i is for 1 + i % 3 units. */
function orders(count: number, prefix: string, sku = 'SKU-A') {
  return Array.from({ length: count }, (_, i) => ({
    orderId: `${prefix}-o${i}`,
    status: 'delivered',
    totalPaise: 10_000 + i,
    orderedAt: minutesAgo(count - i),
    lines: [{ sku, quantity: 1 + (i % 3) }],
  }));
}

describe.each(MARKETPLACES)('account sync on %s', (marketplace) => {
  it('stores every order (across pages) with its lines, and the returns; stock follows them', async () => {
    // SKU ids are the platform's: each marketplace's seller has its own.
    const skuId = `SKU-A-${marketplace}`;
    const seeded = orders(120, marketplace, skuId);
    const sellerId = `seller-${marketplace}-${randomUUID().slice(0, 8)}`;
    await bench.seedSku(skuId, 1_000, sellerId);
    const seller = await bench.seedSeller({
      marketplace,
      sellerId,
      listings: [{ skuId, quantity: 5, pricePaise: 1_000 }],
      orders: seeded,
      returns: [
        { returnId: `${marketplace}-r1`, orderId: `${marketplace}-o3`, status: 'received', createdAt: minutesAgo(2) },
      ],
    });

    const result = await bench.execute(bench.envelope('account.sync', seller, { scheduleId: '1' }));

    expect(result).toEqual({ orders: 120, returns: 1 });
    const { rows } = await bench.pool.query(
      `SELECT count(*)::int AS orders, (SELECT count(*)::int FROM order_lines WHERE account_id = $1) AS lines,
              (SELECT count(*)::int FROM returns WHERE account_id = $1) AS returns
         FROM orders WHERE account_id = $1`,
      [seller.accountId],
    );
    expect(rows[0]).toEqual({ orders: 120, lines: 120, returns: 1 });
    // Every order was delivered (its units left stock), and o3 came back (a return received).
    const units = (order: { lines: { quantity: number }[] }) => order.lines[0]!.quantity;
    const shipped = seeded.reduce((sum, order) => sum + units(order), 0);
    const stock = await bench.pool.query('SELECT stock, reserved FROM skus WHERE id = $1', [skuId]);
    expect(stock.rows[0]).toEqual({ stock: 1_000 - shipped + units(seeded[3]!), reserved: 0 });
  });
});

it('AJIO orders autosync reads only what is new since its last run', async () => {
  const seller = await bench.seedSeller({ marketplace: 'ajio', orders: orders(3, 'auto') });
  expect(await bench.execute(bench.envelope('ajio.orders-sync', seller))).toEqual({ orders: 3 });
  // The newest order is read again (the cursor is inclusive); its upsert changes nothing.
  expect(await bench.execute(bench.envelope('ajio.orders-sync', seller))).toEqual({ orders: 1 });
  const { rows } = await bench.pool.query('SELECT count(*)::int AS n FROM orders WHERE account_id = $1', [
    seller.accountId,
  ]);
  expect(rows[0].n).toBe(3);
});

it('payout sync stores payouts, and reconciliation records each kind of mismatch once', async () => {
  const seller = await bench.seedSeller({
    marketplace: 'flipkart',
    orders: [
      { orderId: 'paid', status: 'delivered', totalPaise: 5_000, orderedAt: minutesAgo(60), lines: [] },
      { orderId: 'short', status: 'delivered', totalPaise: 7_000, orderedAt: minutesAgo(50), lines: [] },
      { orderId: 'unpaid', status: 'delivered', totalPaise: 9_000, orderedAt: minutesAgo(40), lines: [] },
      { orderId: 'cancelled', status: 'cancelled', totalPaise: 1_000, orderedAt: minutesAgo(30), lines: [] },
    ],
    payouts: [
      { payoutId: 'p1', orderId: 'paid', amountPaise: 5_000, paidAt: minutesAgo(20) },
      { payoutId: 'p2', orderId: 'short', amountPaise: 6_500, paidAt: minutesAgo(10) },
      { payoutId: 'p3', orderId: 'stranger', amountPaise: 100, paidAt: minutesAgo(5) },
    ],
  });
  await bench.execute(bench.envelope('account.sync', seller));
  expect(await bench.execute(bench.envelope('payout.sync', seller))).toEqual({ payouts: 3 });

  const reconcile = bench.envelope('reconciliation.run', seller);
  expect(await bench.execute(reconcile)).toMatchObject({ checked: 4, mismatches: 3 });
  const { rows } = await bench.pool.query(
    `SELECT order_id, mismatch, expected_paise::int AS expected, actual_paise::int AS actual
       FROM reconciliation_results WHERE account_id = $1 ORDER BY order_id`,
    [seller.accountId],
  );
  expect(rows).toEqual([
    { order_id: 'short', mismatch: 'amount_mismatch', expected: 7_000, actual: 6_500 },
    { order_id: 'stranger', mismatch: 'payout_without_order', expected: null, actual: 100 },
    { order_id: 'unpaid', mismatch: 'missing_payout', expected: 9_000, actual: null },
  ]);
});

it('returns sync on its own queue stores returns', async () => {
  const seller = await bench.seedSeller({
    marketplace: 'meesho',
    returns: [
      { returnId: 'r1', orderId: 'o1', status: 'requested', createdAt: minutesAgo(3) },
      { returnId: 'r2', orderId: 'o2', status: 'received', createdAt: minutesAgo(2) },
    ],
  });
  expect(await bench.execute(bench.envelope('returns.sync', seller))).toEqual({ returns: 2 });
});

it('document download stores each document and its SHA-256, and does not fetch it again', async () => {
  const big = Buffer.alloc(512 * 1024, 7);
  const small = Buffer.from('invoice #1');
  const seller = await bench.seedSeller({
    marketplace: 'amazon',
    documents: [
      { documentId: 'inv-1', kind: 'invoice', createdAt: minutesAgo(5), content: small.toString('base64') },
      { documentId: 'label-2', kind: 'label', createdAt: minutesAgo(4), content: big.toString('base64') },
    ],
  });
  const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  const first = await bench.execute(bench.envelope('document.download', seller));

  expect(first).toEqual({
    downloaded: [
      { documentId: 'inv-1', sha256: sha(small) },
      { documentId: 'label-2', sha256: sha(big) },
    ],
  });
  const { rows } = await bench.pool.query(
    'SELECT external_id, kind, sha256, storage_path FROM documents WHERE account_id = $1 ORDER BY external_id',
    [seller.accountId],
  );
  for (const row of rows) {
    expect(sha(await readFile(row.storage_path))).toBe(row.sha256);
  }
  expect(await bench.execute(bench.envelope('document.download', seller))).toEqual({ downloaded: [] });
});

it('leaves no secret in any workflow history of this file', async () => {
  expect(bench.workflowIds.length).toBeGreaterThan(8);
  // The scan reads decoded payloads: inputs and results are there in plain text.
  const text = await bench.historiesText();
  expect(text).toContain('"idempotencyKey":"account.sync:');
  expect(text).toContain('"downloaded":[{"documentId":"inv-1"');
  expect(await bench.secretsInHistories()).toEqual([]);
});
