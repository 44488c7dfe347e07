/**
 * The four sweeps by name and cron pattern (exactly as specified): what the sweep role schedules, the
 * alarms watch and the dashboard draws. What a run does is in src/sweeps/registry.ts.
 */
export interface SweepSchedule {
  readonly name: string;
  readonly pattern: string;
}

export const SWEEP_SCHEDULES = [
  { name: 'scheduling-sweep', pattern: '*/5 * * * *' },
  { name: 'ajio-token-revalidation', pattern: '0 */4 * * *' },
  { name: 'ajio-orders-autosync', pattern: '0 * * * *' },
  { name: 'claim-sweeper', pattern: '0 2 * * *' },
] as const satisfies readonly SweepSchedule[];

export type SweepName = (typeof SWEEP_SCHEDULES)[number]['name'];

/** What one sweep run did, as the audit (sweep_runs) records it. */
export interface SweepReport {
  rowsClaimed: number;
  messagesSent: number;
  rowsSkipped: number;
  rowsDeferred: number;
  sendFailures: number;
  details: {
    skippedByReason: Record<string, number>;
    deferredByQueue: Record<string, number>;
    /** Rows flagged for attention and failed sends, with their reasons (the first few). */
    problems: { id: string; reason: string }[];
    [extra: string]: unknown;
  };
}
