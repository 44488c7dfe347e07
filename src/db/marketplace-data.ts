/**
 * What the sync workflows read from the marketplaces, stored as upserts keyed by the marketplace's
 * own ids: reading a page twice (a retried activity, an overlapping `since`) changes nothing. Orders
 * and returns, which move stock, are stored by order-stock.ts.
 */
import type { ReadItem } from '../contracts/marketplace-records';
import type { Queryable } from './transaction';

export async function syncCursor(db: Queryable, accountId: string, resource: string): Promise<Date | undefined> {
  const { rows } = await db.query<{ synced_until: Date }>(
    'SELECT synced_until FROM sync_cursors WHERE account_id = $1 AND resource = $2',
    [accountId, resource],
  );
  return rows[0]?.synced_until;
}

/** Only ever moves forward, whatever order concurrent writers finish in. */
export async function advanceSyncCursor(db: Queryable, accountId: string, resource: string, until: Date) {
  await db.query(
    `INSERT INTO sync_cursors (account_id, resource, synced_until) VALUES ($1, $2, $3)
     ON CONFLICT (account_id, resource) DO UPDATE
       SET synced_until = GREATEST(sync_cursors.synced_until, EXCLUDED.synced_until), updated_at = now()`,
    [accountId, resource, until],
  );
}

export async function upsertPayouts(db: Queryable, accountId: string, payouts: ReadItem<'payouts'>[]) {
  await db.query(
    `INSERT INTO payouts (account_id, external_id, order_id, amount_paise, paid_at)
     SELECT $1, p."payoutId", p."orderId", p."amountPaise", p."paidAt"
       FROM jsonb_to_recordset($2::jsonb) AS p("payoutId" text, "orderId" text, "amountPaise" bigint, "paidAt" timestamptz)
     ON CONFLICT (account_id, external_id) DO UPDATE
       SET order_id = EXCLUDED.order_id, amount_paise = EXCLUDED.amount_paise, paid_at = EXCLUDED.paid_at`,
    [accountId, JSON.stringify(payouts)],
  );
}

/**
 * Document metadata; the bytes are fetched separately and their hash recorded then. A document with
 * a `rejectedReason` is recorded with it and never offered for download.
 */
export async function upsertDocuments(
  db: Queryable,
  accountId: string,
  documents: (ReadItem<'documents'> & { rejectedReason?: string })[],
) {
  await db.query(
    `INSERT INTO documents (account_id, external_id, kind, rejected_reason)
     SELECT $1, d."documentId", d.kind, d."rejectedReason"
       FROM jsonb_to_recordset($2::jsonb) AS d("documentId" text, kind text, "rejectedReason" text)
     ON CONFLICT (account_id, external_id) DO NOTHING`,
    [accountId, JSON.stringify(documents)],
  );
}

export async function documentsToDownload(db: Queryable, accountId: string, limit: number): Promise<string[]> {
  const { rows } = await db.query<{ external_id: string }>(
    `SELECT external_id FROM documents WHERE account_id = $1 AND sha256 IS NULL AND rejected_reason IS NULL
      ORDER BY external_id LIMIT $2`,
    [accountId, limit],
  );
  return rows.map((row) => row.external_id);
}

export async function recordDownloadedDocument(
  db: Queryable,
  document: { accountId: string; documentId: string; sha256: string; storagePath: string },
) {
  await db.query(
    `UPDATE documents SET sha256 = $3, storage_path = $4, downloaded_at = now()
      WHERE account_id = $1 AND external_id = $2`,
    [document.accountId, document.documentId, document.sha256, document.storagePath],
  );
}

/**
 * Orders against payouts for one account: an order with no payout, a payout whose amount differs
 * from its order's total, and a payout for an order we do not know. Cancelled orders expect nothing.
 * Recorded once per run key, so a retried run records nothing new.
 */
export async function recordReconciliation(db: Queryable, accountId: string, runKey: string) {
  const { rowCount } = await db.query(
    `WITH paid AS (
       SELECT order_id, sum(amount_paise) AS amount FROM payouts WHERE account_id = $1 AND order_id IS NOT NULL
        GROUP BY order_id
     ), mismatches AS (
       SELECT o.external_id AS order_id,
              CASE WHEN p.order_id IS NULL THEN 'missing_payout' ELSE 'amount_mismatch' END AS mismatch,
              o.total_paise AS expected, p.amount AS actual
         FROM orders o LEFT JOIN paid p ON p.order_id = o.external_id
        WHERE o.account_id = $1 AND o.status <> 'cancelled'
          AND (p.order_id IS NULL OR p.amount <> o.total_paise)
       UNION ALL
       SELECT p.order_id, 'payout_without_order', NULL, p.amount
         FROM paid p WHERE NOT EXISTS (SELECT 1 FROM orders o WHERE o.account_id = $1 AND o.external_id = p.order_id)
     )
     INSERT INTO reconciliation_results (account_id, run_key, order_id, mismatch, expected_paise, actual_paise)
     SELECT $1, $2, order_id, mismatch, expected, actual FROM mismatches
     ON CONFLICT (account_id, run_key, order_id) DO NOTHING`,
    [accountId, runKey],
  );
  const { rows } = await db.query<{ checked: number; mismatches: number }>(
    `SELECT (SELECT count(*)::int FROM orders WHERE account_id = $1) AS checked,
            (SELECT count(*)::int FROM reconciliation_results WHERE account_id = $1 AND run_key = $2) AS mismatches`,
    [accountId, runKey],
  );
  return { ...rows[0]!, recordedNow: rowCount ?? 0 };
}
