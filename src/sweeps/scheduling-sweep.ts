/**
 * `scheduling-sweep`: first sends again the claims whose send failed (their lease ran out; see
 * claim-sweeper.ts), so a failed send waits for a tick or two, not for the daily claim-sweeper. Then
 * every enabled schedule that is due is claimed, sent to the queue of its kind,
 * and moved on to its next run, in one transaction per page. Rows it cannot send are reported in the
 * audit: skipped (account disabled, no credentials) and moved on, flagged for attention (unknown
 * kind, malformed cadence) so they stop coming back, or deferred (target queue over its backlog
 * ceiling) and left due for a later run.
 */
import type { ClientBase } from 'pg';
import type { Claim } from '../db/dispatch-claims';
import { insertClaims } from '../db/dispatch-claims';
import {
  START_CURSOR,
  advanceSchedules,
  flagSchedules,
  lockDueSchedules,
  type DueSchedule,
  type ScheduleCursor,
} from '../db/schedules';
import { inTransaction } from '../db/transaction';
import { queueForMessage } from '../queues/routing';
import { SCHEDULE_KINDS } from '../contracts/envelope';
import { nextRunAfter, parseCadence } from './cadence';
import { buildClaim, claimLease, type SweepContext } from './context';
import { claimAndDispatch } from './dispatch';
import { countDeferral, countSkip, emptyReport, noteProblem } from './report';
import { type SweepReport } from '../contracts/sweeps';
import { overfullQueues } from './backpressure';
import { resendExpiredClaims } from './claim-sweeper';

type Decision =
  | { action: 'claim'; claim: Claim; nextRunAt: Date }
  | { action: 'skip'; reason: string; nextRunAt: Date }
  | { action: 'flag'; reason: string }
  | { action: 'defer'; queue: string };

function decide(ctx: SweepContext, row: DueSchedule, overfull: ReadonlySet<string>): Decision {
  const type = SCHEDULE_KINDS[row.kind];
  if (!type) return { action: 'flag', reason: `unknown schedule kind "${row.kind}"` };
  const cadenceMs = parseCadence(row.cadence);
  if (cadenceMs === undefined) return { action: 'flag', reason: `malformed cadence "${row.cadence}"` };
  const nextRunAt = nextRunAfter(row.nextRunAt, cadenceMs, ctx.now);
  if (!row.accountEnabled) return { action: 'skip', reason: 'account_disabled', nextRunAt };
  if (row.accountStatus === 'needs_reauth') return { action: 'skip', reason: 'account_needs_reauth', nextRunAt };
  if (!row.hasCredentials) return { action: 'skip', reason: 'missing_credentials', nextRunAt };
  const queue = queueForMessage(type, row.marketplace).name;
  if (overfull.has(queue)) return { action: 'defer', queue };
  const claim = buildClaim({
    ctx,
    type,
    accountId: row.accountId,
    sellerId: row.sellerId,
    marketplace: row.marketplace,
    slotAt: row.nextRunAt,
    identity: `s${row.id}`,
    scheduleId: row.id,
    payload: { scheduleId: row.id },
  });
  return { action: 'claim', claim, nextRunAt };
}

async function claimPage(
  ctx: SweepContext,
  client: ClientBase,
  cursor: ScheduleCursor,
  overfull: ReadonlySet<string>,
  report: SweepReport,
): Promise<{ claims: Claim[]; next: ScheduleCursor } | undefined> {
  const rows = await lockDueSchedules(client, ctx.now, cursor, ctx.pageSize);
  if (rows.length === 0) return undefined;
  const claims: Claim[] = [];
  const advances: { id: string; slotAt: Date; nextRunAt: Date }[] = [];
  const flags: { id: string; reason: string }[] = [];
  for (const row of rows) {
    const decision = decide(ctx, row, overfull);
    switch (decision.action) {
      case 'claim':
        claims.push(decision.claim);
        advances.push({ id: row.id, slotAt: row.nextRunAt, nextRunAt: decision.nextRunAt });
        break;
      case 'skip':
        countSkip(report, decision.reason);
        advances.push({ id: row.id, slotAt: row.nextRunAt, nextRunAt: decision.nextRunAt });
        break;
      case 'flag':
        countSkip(report, 'needs_attention');
        noteProblem(report, `schedule ${row.id}`, decision.reason);
        flags.push({ id: row.id, reason: decision.reason });
        break;
      case 'defer':
        countDeferral(report, decision.queue);
        break;
    }
  }
  const fresh = await insertClaims(client, claims, claimLease(ctx));
  await advanceSchedules(client, advances);
  await flagSchedules(client, flags);
  const last = rows.at(-1)!;
  return { claims: fresh, next: { nextRunAt: last.nextRunAt, id: last.id } };
}

export async function schedulingSweep(ctx: SweepContext, report: SweepReport = emptyReport()): Promise<SweepReport> {
  // Before this tick's own claims: their leases have not run out, so this never sends them twice.
  await resendExpiredClaims(ctx, report);
  const overfull = await overfullQueues(ctx);
  await claimAndDispatch(ctx, report, START_CURSOR, (cursor) =>
    inTransaction(ctx.pool, (client) => claimPage(ctx, client, cursor, overfull, report)),
  );
  return report;
}
