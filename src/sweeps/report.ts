import type { SweepReport } from '../contracts/sweeps';

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
