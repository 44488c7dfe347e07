import type { Pool } from 'pg';
import type { CompensationRecord, SagaStatus } from '../contracts/sagas';

export interface SagaRun {
  workflowId: string;
  saga: string;
  accountId: string;
  status: SagaStatus;
  failedStep?: string;
  reason?: string;
  compensations: CompensationRecord[];
}

/** One row per saga execution; written again by a retried activity with the same content. */
export async function recordSagaRun(pool: Pool, run: SagaRun): Promise<void> {
  await pool.query(
    `INSERT INTO saga_runs (workflow_id, saga, account_id, status, failed_step, reason, compensations)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (workflow_id) DO UPDATE
       SET status = EXCLUDED.status, failed_step = EXCLUDED.failed_step, reason = EXCLUDED.reason,
           compensations = EXCLUDED.compensations, finished_at = now()`,
    [
      run.workflowId,
      run.saga,
      run.accountId,
      run.status,
      run.failedStep ?? null,
      run.reason?.slice(0, 2000) ?? null,
      JSON.stringify(run.compensations),
    ],
  );
}

/**
 * A saga run that ended without recording how (terminated, timed out, or failed for good before its
 * last step): recorded as needing attention, so the sagas-need-attention alarm fires. A run that did
 * record its end (completed or compensated) keeps that row, unless `overwrite`: a terminated run never
 * recorded its own end, so a row there is an earlier run's and says nothing of this one.
 */
export async function recordUnfinishedSaga(
  pool: Pool,
  run: Pick<SagaRun, 'workflowId' | 'saga' | 'accountId' | 'reason'>,
  { overwrite = false } = {},
): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO saga_runs (workflow_id, saga, account_id, status, reason)
     VALUES ($1, $2, $3, 'needs_attention', $4)
     ON CONFLICT (workflow_id) DO UPDATE
       SET status = 'needs_attention', failed_step = NULL, reason = EXCLUDED.reason, compensations = '[]',
           finished_at = now()
       WHERE $5`,
    [run.workflowId, run.saga, run.accountId, run.reason?.slice(0, 2000) ?? null, overwrite],
  );
  return (rowCount ?? 0) > 0;
}

export interface SagaNeedingAttention {
  workflowId: string;
  saga: string;
  accountId: string;
  failedStep: string | null;
  reason: string | null;
  finishedAt: Date;
}

/** These accounts' saga runs an operator must look at (a compensation failed), newest first. */
export async function sagasNeedingAttention(
  pool: Pool,
  accountIds: readonly string[],
  limit: number,
): Promise<SagaNeedingAttention[]> {
  const { rows } = await pool.query(
    `SELECT workflow_id, saga, account_id, failed_step, reason, finished_at FROM saga_runs
      WHERE status = 'needs_attention' AND account_id = ANY($1)
      ORDER BY finished_at DESC, workflow_id LIMIT $2`,
    [accountIds, limit],
  );
  return rows.map((row) => ({
    workflowId: row.workflow_id,
    saga: row.saga,
    accountId: row.account_id,
    failedStep: row.failed_step,
    reason: row.reason,
    finishedAt: row.finished_at,
  }));
}
