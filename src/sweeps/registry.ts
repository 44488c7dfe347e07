/** The four sweeps: their schedules (src/contracts/sweeps.ts) and what a run of each does. */
import { CronExpressionParser } from 'cron-parser';
import { SWEEP_SCHEDULES, type SweepName, type SweepSchedule } from '../contracts/sweeps';
import { ajioOrdersAutosync, ajioTokenRevalidation } from './ajio-sweeps';
import { claimSweeper } from './claim-sweeper';
import type { SweepContext } from './context';
import type { SweepReport } from '../contracts/sweeps';
import { schedulingSweep } from './scheduling-sweep';

export interface SweepDefinition extends SweepSchedule {
  /** Fills `report` as it goes, so a failed run's audit still shows what it had done. */
  run: (ctx: SweepContext, report: SweepReport) => Promise<SweepReport>;
}

const RUNS: Record<SweepName, SweepDefinition['run']> = {
  'scheduling-sweep': schedulingSweep,
  'ajio-token-revalidation': ajioTokenRevalidation,
  'ajio-orders-autosync': ajioOrdersAutosync,
  'claim-sweeper': claimSweeper,
};

export const SWEEPS: readonly SweepDefinition[] = SWEEP_SCHEDULES.map((schedule) => ({
  ...schedule,
  run: RUNS[schedule.name],
}));

export function findSweep(name: string): SweepDefinition {
  const sweep = SWEEPS.find((candidate) => candidate.name === name);
  if (!sweep) throw new Error(`unknown sweep "${name}"; known: ${SWEEPS.map((s) => s.name).join(', ')}`);
  return sweep;
}

/**
 * The cron tick a run at `now` belongs to: the latest tick at or before it. A late job and a manual
 * run in the same window get the same slot, so they derive the same idempotency keys.
 */
export function slotOf(sweep: SweepDefinition, now: Date, timezone: string): Date {
  const justAfter = new Date(now.getTime() + 1);
  return CronExpressionParser.parse(sweep.pattern, { currentDate: justAfter, tz: timezone }).prev().toDate();
}
