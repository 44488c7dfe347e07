/** The figures the metrics role reads from PostgreSQL: what only the business state knows. */
import type { Pool } from 'pg';

export interface OperationalFigures {
  accountsNeedingReauth: number;
  sagasNeedingAttention: number;
  /** Compensations run by sagas that finished after `since` and up to `until`. */
  sagaCompensations: number;
  /** The database's clock at the reading: the next reading's `since`, so no saga is counted twice. */
  until: Date;
}

export async function readOperationalFigures(pool: Pool, since: Date): Promise<OperationalFigures> {
  const { rows } = await pool.query<{ reauth: number; attention: number; compensations: number; until: Date }>(
    `SELECT (SELECT count(*) FROM seller_accounts WHERE status = 'needs_reauth')::int AS reauth,
            (SELECT count(*) FROM saga_runs WHERE status = 'needs_attention')::int AS attention,
            (SELECT coalesce(sum(jsonb_array_length(compensations)), 0) FROM saga_runs
              WHERE finished_at > $1 AND finished_at <= now())::int AS compensations,
            now() AS until`,
    [since],
  );
  const row = rows[0]!;
  return {
    accountsNeedingReauth: row.reauth,
    sagasNeedingAttention: row.attention,
    sagaCompensations: row.compensations,
    until: row.until,
  };
}

/** Seconds since each sweep's last successful run; sweeps that never succeeded are absent. */
export async function secondsSinceLastSuccessfulSweeps(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ sweep: string; seconds: number }>(
    `SELECT sweep, extract(epoch FROM now() - max(finished_at))::float8 AS seconds
       FROM sweep_runs WHERE status = 'succeeded' GROUP BY sweep`,
  );
  return new Map(rows.map((row) => [row.sweep, row.seconds]));
}
