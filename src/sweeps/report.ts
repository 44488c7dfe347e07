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

const MAX_PROBLEMS_LISTED = 100;

export function emptyReport(): SweepReport {
  return {
    rowsClaimed: 0,
    messagesSent: 0,
    rowsSkipped: 0,
    rowsDeferred: 0,
    sendFailures: 0,
    details: { skippedByReason: {}, deferredByQueue: {}, problems: [] },
  };
}

export function countSkip(report: SweepReport, reason: string): void {
  report.rowsSkipped += 1;
  report.details.skippedByReason[reason] = (report.details.skippedByReason[reason] ?? 0) + 1;
}

export function countDeferral(report: SweepReport, queue: string): void {
  report.rowsDeferred += 1;
  report.details.deferredByQueue[queue] = (report.details.deferredByQueue[queue] ?? 0) + 1;
}

export function noteProblem(report: SweepReport, id: string, reason: string): void {
  if (report.details.problems.length < MAX_PROBLEMS_LISTED) report.details.problems.push({ id, reason });
}
