/**
 * The stock figures the metrics role reads from PostgreSQL for the SRE: oversold SKUs, listings the
 * drift repair could not set right, and repairs made. docs/inventory.md (the SRE section) says what
 * each means and what to do.
 */
import type { Pool } from 'pg';

/** How far back a drift finding still counts: a listing no run has reported on since then is left alone. */
export const UNREPAIRED_DRIFT_WINDOW_DAYS = 7;

export interface InventoryFigures {
  /** SKUs whose available (stock − reserved) is below zero: an oversell already made at the marketplaces. */
  oversoldSkus: number;
  /**
   * Active listings (account, SKU) whose latest finding in the window is `repair_failed` or
   * `missing_at_marketplace`, and that no push has set right since.
   */
  unrepairedDriftListings: number;
  /** Findings with outcome `repaired` found after `since` and up to `until`. */
  driftRepaired: number;
  /** The database's clock at the reading: the next reading's `since`, so no finding is counted twice. */
  until: Date;
}

export async function readInventoryFigures(pool: Pool, since: Date): Promise<InventoryFigures> {
  const { rows } = await pool.query<{ oversold: number; unrepaired: number; repaired: number; until: Date }>(
    `SELECT (SELECT count(*) FROM skus WHERE stock - reserved < 0)::int AS oversold,
            (SELECT count(*) FROM (
               -- Each listing's latest finding: a later repair clears an earlier failure, never the reverse.
               SELECT DISTINCT ON (account_id, sku_id) account_id, sku_id, outcome, found_at
                 FROM drift_findings
                WHERE found_at > now() - make_interval(days => $2)
                ORDER BY account_id, sku_id, found_at DESC, id DESC
             ) latest
             WHERE outcome <> 'repaired'
               -- A listing pushed since (the marketplace took its quantity), or no longer listed, is set right.
               AND EXISTS (SELECT 1 FROM listings l
                            WHERE l.account_id = latest.account_id AND l.sku_id = latest.sku_id AND l.status = 'active'
                              AND (l.pushed_at IS NULL OR l.pushed_at <= latest.found_at)))::int AS unrepaired,
            (SELECT count(*) FROM drift_findings
              WHERE outcome = 'repaired' AND found_at > $1 AND found_at <= now())::int AS repaired,
            now() AS until`,
    [since, UNREPAIRED_DRIFT_WINDOW_DAYS],
  );
  const row = rows[0]!;
  return {
    oversoldSkus: row.oversold,
    unrepairedDriftListings: row.unrepaired,
    driftRepaired: row.repaired,
    until: row.until,
  };
}
