/**
 * `claim-sweeper`: takes back claims whose lease ran out unsent (the sweep that claimed them crashed
 * or SQS kept refusing) and sends them again, unchanged, so the same deduplication id and idempotency
 * key apply. A claim that has failed MAX_DISPATCH_ATTEMPTS times is flagged for attention, with its
 * schedule, instead of looping. Sent claims past their retention are deleted.
 */
import { flagClaims, lockExpiredClaims, pruneSentClaims, renewClaims, type UnsentClaim } from '../db/dispatch-claims';
import { flagSchedules } from '../db/schedules';
import { inTransaction } from '../db/transaction';
import type { SweepContext } from './context';
import { claimAndDispatch } from './dispatch';
import { countSkip, emptyReport, noteProblem } from './report';
import { type SweepReport } from '../contracts/sweeps';

export const MAX_DISPATCH_ATTEMPTS = 3;
/** Longer than any window in which SQS or a poller could still see a duplicate of the message. */
export const SENT_CLAIM_RETENTION_MS = 7 * 86_400_000;

function giveUpReason(claim: UnsentClaim): string {
  return `dispatch failed ${claim.attempts} times; last error: ${claim.lastError ?? 'the sender stopped before sending'}`;
}

export async function claimSweeper(ctx: SweepContext, report: SweepReport = emptyReport()): Promise<SweepReport> {
  const leaseSeconds = ctx.config.sweeps.claimLeaseSeconds;
  await claimAndDispatch(ctx, report, null, () =>
    inTransaction(ctx.pool, async (client) => {
      const expired = await lockExpiredClaims(client, ctx.now, ctx.pageSize);
      if (expired.length === 0) return undefined;
      const hopeless = expired.filter((claim) => claim.attempts >= MAX_DISPATCH_ATTEMPTS);
      const retry = expired.filter((claim) => claim.attempts < MAX_DISPATCH_ATTEMPTS);
      const flags = hopeless.map((claim) => ({ key: claim.idempotencyKey, reason: giveUpReason(claim) }));
      await flagClaims(client, flags);
      await flagSchedules(
        client,
        hopeless.flatMap((claim) => (claim.scheduleId ? [{ id: claim.scheduleId, reason: giveUpReason(claim) }] : [])),
      );
      for (const flag of flags) {
        countSkip(report, 'needs_attention');
        noteProblem(report, flag.key, flag.reason);
      }
      await renewClaims(
        client,
        retry.map((claim) => claim.idempotencyKey),
        leaseSeconds,
      );
      return { claims: retry, next: null };
    }),
  );
  report.details.prunedSentClaims = await pruneSentClaims(
    ctx.pool,
    new Date(ctx.now.getTime() - SENT_CLAIM_RETENTION_MS),
  );
  return report;
}
