import type { Pool } from 'pg';

export { seedManyDueSchedules } from '../../scripts/seed/bulk-schedules';

export interface ScheduleSeed {
  accountId: string;
  kind: string;
  cadence?: string;
  nextRunAt: Date;
  enabled?: boolean;
}

export async function seedSchedule(pool: Pool, schedule: ScheduleSeed): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO schedules (account_id, kind, cadence, next_run_at, enabled) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [schedule.accountId, schedule.kind, schedule.cadence ?? '15m', schedule.nextRunAt, schedule.enabled ?? true],
  );
  return String(rows[0]!.id);
}
