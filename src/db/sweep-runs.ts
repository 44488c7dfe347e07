import type { Pool } from 'pg';
import type { SweepReport } from '../contracts/sweeps';

export interface SweepRunStart {
  sweep: string;
  slotAt: Date;
  jobId: string | null;
  trigger: 'schedule' | 'manual';
}

export async function startSweepRun(pool: Pool, run: SweepRunStart): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO sweep_runs (sweep, slot_at, job_id, trigger) VALUES ($1, $2, $3, $4) RETURNING id',
    [run.sweep, run.slotAt, run.jobId, run.trigger],
  );
  return String(rows[0]!.id);
}

export async function finishSweepRun(pool: Pool, id: string, report: SweepReport, error?: string): Promise<void> {
  await pool.query(
    `UPDATE sweep_runs
        SET status = $2, finished_at = now(), rows_claimed = $3, messages_sent = $4, rows_skipped = $5,
            rows_deferred = $6, send_failures = $7, details = $8, error = $9
      WHERE id = $1`,
    [
      id,
      error ? 'failed' : 'succeeded',
      report.rowsClaimed,
      report.messagesSent,
      report.rowsSkipped,
      report.rowsDeferred,
      report.sendFailures,
      JSON.stringify(report.details),
      error ?? null,
    ],
  );
}
