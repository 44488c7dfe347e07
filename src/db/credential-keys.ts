/**
 * Retiring a credentials key: re-seal every row an older key sealed with the active key, and count
 * the rows per key so an operator knows when an old key has no rows left and can be dropped.
 */
import { openSecret, sealSecret, type Keyring } from '../platform/keyring';
import type { Queryable } from './transaction';

/** Rows read per batch; each row is then re-sealed by one statement of its own (no long transaction). */
export const RESEAL_BATCH_SIZE = 100;

export interface ResealReport {
  /** Rows looked at: the sum of the four counts below. */
  total: number;
  resealed: number;
  alreadyActive: number;
  /** Rewritten (or deleted) between the read and the re-seal: left as they are; a next run takes them. */
  changedMeanwhile: number;
  /** Rows no key of the keyring opens, by account id and why (never any part of the secret). */
  failed: { accountId: string; reason: string }[];
}

interface StoredRow {
  account_id: string;
  key_id: string;
  sealed: Buffer;
  version: string;
}

type RowOutcome = 'resealed' | 'alreadyActive' | 'changedMeanwhile' | { failed: string };

/**
 * Re-seals the row with the active key, compare-and-set on the version and the sealed bytes it read:
 * a write that came in between (a token refresh) stands. The version is not bumped, because the
 * secrets are the same: a token refresh that read the row before keeps its compare-and-set valid
 * and stores its new token (AJIO has already rotated the refresh token by then; losing the race
 * would leave a dead one stored).
 */
async function resealRow(db: Queryable, keyring: Keyring, row: StoredRow): Promise<RowOutcome> {
  if (row.key_id === keyring.activeKeyId) return 'alreadyActive';
  let secrets: unknown;
  try {
    secrets = openSecret(keyring, row.account_id, { keyId: row.key_id, sealed: row.sealed });
  } catch (error) {
    return { failed: (error as Error).message };
  }
  const { keyId, sealed } = sealSecret(keyring, row.account_id, secrets);
  const { rowCount } = await db.query(
    `UPDATE account_credentials SET key_id = $4, sealed = $5, updated_at = now()
      WHERE account_id = $1 AND version = $2 AND sealed = $3`,
    [row.account_id, row.version, row.sealed, keyId, sealed],
  );
  return rowCount === 1 ? 'resealed' : 'changedMeanwhile';
}

/**
 * Walks every credentials row in account id order, a batch at a time, re-sealing those not on the
 * active key. Safe to interrupt and run again: a row already re-sealed counts as already active.
 */
export async function resealCredentials(
  db: Queryable,
  keyring: Keyring,
  { batchSize = RESEAL_BATCH_SIZE } = {},
): Promise<ResealReport> {
  const report: ResealReport = { total: 0, resealed: 0, alreadyActive: 0, changedMeanwhile: 0, failed: [] };
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: StoredRow[] } = await db.query<StoredRow>(
      `SELECT account_id, key_id, sealed, version FROM account_credentials
        WHERE $1::text IS NULL OR account_id > $1 ORDER BY account_id LIMIT $2`,
      [after, batchSize],
    );
    for (const row of rows) {
      const outcome = await resealRow(db, keyring, row);
      report.total += 1;
      if (typeof outcome === 'object') report.failed.push({ accountId: row.account_id, reason: outcome.failed });
      else report[outcome] += 1;
    }
    if (rows.length < batchSize) return report;
    after = rows[rows.length - 1]!.account_id;
  }
}

/** How many credentials rows each key id sealed, by key id. */
export async function credentialsPerKey(db: Queryable): Promise<{ keyId: string; accounts: number }[]> {
  const { rows } = await db.query<{ key_id: string; accounts: number }>(
    'SELECT key_id, count(*)::int AS accounts FROM account_credentials GROUP BY key_id ORDER BY key_id',
  );
  return rows.map((row) => ({ keyId: row.key_id, accounts: row.accounts }));
}
