/**
 * Completion records: work whose workflow completed, keyed by workflow id (the message's type, account
 * and idempotency key). The poller writes one before it deletes the message and reads it before it
 * starts a workflow, so completed work is not redone even after Temporal's retention forgot the run.
 */
import type { Pool } from 'pg';

export interface CompletedWork {
  workflowId: string;
  idempotencyKey: string;
  messageType: string;
  accountId: string;
  runId: string;
  sourceQueue: string;
}

/** Idempotent: a second record of the same work keeps the first. */
export async function recordCompletedWork(pool: Pool, work: CompletedWork): Promise<void> {
  await pool.query(
    `INSERT INTO completed_work (workflow_id, idempotency_key, message_type, account_id, run_id, source_queue)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (workflow_id) DO NOTHING`,
    [work.workflowId, work.idempotencyKey, work.messageType, work.accountId, work.runId, work.sourceQueue],
  );
}

/** Whether the work was completed under any of its ids (its workflow id, and the id it had before). */
export async function isWorkCompleted(pool: Pool, ...workflowIds: string[]): Promise<boolean> {
  const { rowCount } = await pool.query('SELECT 1 FROM completed_work WHERE workflow_id = ANY($1) LIMIT 1', [
    workflowIds,
  ]);
  return (rowCount ?? 0) > 0;
}
