/** The four sweeps: name, cron pattern (exactly as specified) and what a run does. */
import { CronExpressionParser } from 'cron-parser';
import { ajioOrdersAutosync, ajioTokenRevalidation } from './ajio-sweeps';
import { claimSweeper } from './claim-sweeper';
import type { SweepContext } from './context';
import type { SweepReport } from './report';
import { schedulingSweep } from './scheduling-sweep';

export interface SweepDefinition {
  name: string;
  pattern: string;
  /** Fills `report` as it goes, so a failed run's audit still shows what it had done. */
  run: (ctx: SweepContext, report: SweepReport) => Promise<SweepReport>;
}

export const SWEEPS: readonly SweepDefinition[] = [
  { name: 'scheduling-sweep', pattern: '*/5 * * * *', run: schedulingSweep },
  { name: 'ajio-token-revalidation', pattern: '0 */4 * * *', run: ajioTokenRevalidation },
  { name: 'ajio-orders-autosync', pattern: '0 * * * *', run: ajioOrdersAutosync },
  { name: 'claim-sweeper', pattern: '0 2 * * *', run: claimSweeper },
];

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
